import { readFile } from 'node:fs/promises';
import type { FastifyInstance, FastifyReply } from 'fastify';
import { VigilError } from '../lib/errors.ts';

/** Where `vite build` puts the console (`npm run build`): dist/web beside dist/ and src/ alike. */
export const CONSOLE_DIR = new URL('../../dist/web/', import.meta.url);

const TYPES: Record<string, string> = {
  js: 'text/javascript; charset=utf-8',
  css: 'text/css; charset=utf-8',
  svg: 'image/svg+xml',
  png: 'image/png',
  woff2: 'font/woff2',
  json: 'application/json',
  map: 'application/json',
};

// Everything the console loads is its own: scripts and styles from here, video from the API's playlists
// (hls.js feeds it through blob: media sources), nothing from elsewhere.
const CSP = [
  "default-src 'self'",
  "script-src 'self'",
  "style-src 'self' 'unsafe-inline'",
  "img-src 'self' data: blob:",
  "media-src 'self' blob:",
  "worker-src 'self' blob:",
  "connect-src 'self'",
  "frame-ancestors 'none'",
  "base-uri 'none'",
  "form-action 'self'",
].join('; ');

/**
 * The web console at `/`: its hashed assets (cached for good) and index.html for every console path
 * (/cameras/c1 and the like: the client routes them), never for the API's own paths, which answer
 * 404 as JSON. Public: the page logs in through the API, which is what is guarded.
 */
export function registerConsoleRoutes(app: FastifyInstance, dir: URL = CONSOLE_DIR): void {
  const index = async (reply: FastifyReply) => {
    let html: Buffer;
    try {
      html = await readFile(new URL('index.html', dir));
    } catch {
      throw new VigilError(
        'NOT_FOUND',
        'the web console is not built here: run `npm run build` (it builds dist/web) and reload',
        404,
      );
    }
    return reply
      .type('text/html; charset=utf-8')
      .header('cache-control', 'no-cache')
      .header('content-security-policy', CSP)
      .header('x-frame-options', 'DENY')
      .header('x-content-type-options', 'nosniff')
      .header('referrer-policy', 'same-origin')
      .send(html);
  };
  const hidden = { schema: { hide: true } };
  app.get('/', hidden, async (_req, reply) => index(reply));
  app.get('/assets/:file', hidden, async (req, reply) => {
    const { file } = req.params as { file: string };
    const ext = /^[\w.-]+\.(\w+)$/.exec(file)?.[1];
    if (!ext || file.startsWith('.') || !TYPES[ext]) throw new VigilError('NOT_FOUND', `no console file ${file}`, 404);
    let body: Buffer;
    try {
      body = await readFile(new URL(`assets/${file}`, dir));
    } catch {
      throw new VigilError('NOT_FOUND', `no console file ${file}`, 404);
    }
    // Vite names each asset by its content's hash: a new build is new names.
    return reply
      .type(TYPES[ext])
      .header('cache-control', 'public, max-age=31536000, immutable')
      .header('x-content-type-options', 'nosniff')
      .send(body);
  });
  // An API path of no route is no console page: the router's 404, to those with a credential only
  // (its rule is a viewer's), so nobody learns which routes exist without one.
  app.get('/api/*', hidden, async (req) => {
    throw new VigilError('NOT_FOUND', `no route GET ${req.url.split('?')[0]}`, 404);
  });
  app.get('/*', hidden, async (req, reply) => {
    const path = req.url.split('?')[0];
    // Nodes' paths and files are not console pages: the router's own 404.
    if (/^\/node(\/|$)/.test(path) || /\.\w+$/.test(path)) return reply.callNotFound();
    return index(reply);
  });
}
