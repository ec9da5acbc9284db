import { request as httpRequest } from 'node:http';
import { request as httpsRequest } from 'node:https';
import type { ClientTls } from './tls.ts';

/**
 * Test helper: sends the headers of a request announcing `announcedBytes` of body, then only a
 * first chunk, and resolves with the status and the time to it, without ever sending the rest.
 */
export function statusBeforeBody(
  url: string,
  method: string,
  headers: Record<string, string>,
  announcedBytes = 64 * 1024 * 1024,
  tls?: ClientTls,
): Promise<{ status: number; ms: number }> {
  return new Promise((resolve, reject) => {
    const t0 = Date.now();
    const request = url.startsWith('https:') ? httpsRequest : httpRequest;
    const req = request(url, {
      ...tls,
      method,
      headers: { 'content-type': 'application/json', 'content-length': String(announcedBytes), ...headers },
    });
    req.on('response', (res) => {
      res.resume();
      resolve({ status: res.statusCode ?? 0, ms: Date.now() - t0 });
      req.destroy();
    });
    req.on('error', (err) => {
      if (!req.destroyed) reject(err);
    });
    req.write(`{"x":"${'y'.repeat(16 * 1024)}`); // the body starts, and stops there
  });
}
