import Fastify, { LogController, type FastifyBaseLogger, type FastifyInstance, type FastifyRequest } from 'fastify';
import type { IndexedSegment, LocalIndex } from '../storage/local-index.ts';
import type { BufferedSegment } from '../recorder/camera-recorder.ts';
import { LiveSequence } from '../playback/live-sequence.ts';
import type { AddressInfo } from 'node:net';
import { VigilError } from '../lib/errors.ts';
import { verifiedPeer, type FarmTls } from '../auth/peer-identity.ts';
import { NODE_ROUTES, nodeApiUrl } from '../protocol/node-api.ts';
import { errorHandler } from '../lib/http/error-handler.ts';
import { applyServerTimeouts, timeoutOptions, type ServerTimeouts } from '../lib/http/server-limits.ts';
import type { Logger } from '../lib/log.ts';
import { registerCopySourceRoutes } from './copy-source-routes.ts';
import { registerPlaybackRoutes } from './node-playback-routes.ts';
import { SegmentFiles } from './segment-files.ts';
import { registerStorageCheckRoute } from './storage-check-route.ts';
import type { CopySource } from '../protocol/assignment.ts';
import type { SegmentChain } from '../storage/segment-chain.ts';
import { registerChainRoute } from './chain-route.ts';
import { X509Certificate } from 'node:crypto';
import { identityOf } from '../auth/peer-identity.ts';
import { registerTimelineRoutes } from './timeline-routes.ts';

/** Settings of a recording server's playback API. */
export interface NodeApiOptions {
  host: string;
  /** 0 lets the system choose; `url` tells which. */
  port: number;
  /** The storage paths holding a segment's file, the one to read from first. */
  roots: (seg: IndexedSegment) => string[];
  index: LocalIndex;
  /** This server's key and certificate, and the farm CA: callers must present a farm certificate (mutual TLS). */
  tls: FarmTls;
  log: Logger;
  /** A camera stream's pre-buffer here (a live-only relay, a hot standby), oldest first; live view falls back to it. */
  buffered?: (camera: string, stream: number) => BufferedSegment[];
  /** The unfinished copy-back jobs whose source this server is, from its assignment; absent: none, nothing is released. */
  copySources?: () => readonly CopySource[];
  /** This server's signed segment chain, handed out for exports (absent: the route is not served). */
  chain?: SegmentChain;
  /** This server's id and every storage path it has: the file listing (verify) walks them. Absent: no file listing. */
  verify?: { nodeId: string; storagePaths: () => string[]; ready?: () => boolean };
}

/**
 * The node API's timeouts: requests arrive whole within 15 s (headers within 10 s); a connection
 * may stay silent as long as its clients wait on it (the node client gives up after 120 s: a
 * copy-back's rate limit pauses its reads); idle kept-alive connections close after 10 s.
 */
export const NODE_API_TIMEOUTS: ServerTimeouts = {
  requestMs: 15_000,
  headersMs: 10_000,
  idleMs: 120_000,
  keepAliveMs: 10_000,
  checkEveryMs: 1000,
};
/** Its bodies are a storage check's paths or a release's checksum: small. */
const NODE_API_BODY_LIMIT = 64 * 1024;

/**
 * A recording server's playback API: lists its segments, serves them by index id, and gives a
 * live HLS playlist per camera. Over mutual TLS with the farm CA: the master may call every route,
 * another server only the copy-back source routes; players reach it through the master. No bearer
 * token: nothing a caller sends can be replayed elsewhere. A request never names a file: files are found by index id and
 * served only from inside the storage root. For failback with copy-back it also lists segments with
 * their checksums and deletes ("releases") a segment once its home server holds a verified copy.
 */
export class NodeApi {
  private app: FastifyInstance | undefined;
  private readonly live = new LiveSequence();
  /** Base URL once started, e.g. https://127.0.0.1:41234. */
  url = '';
  /** The port it listens on once started (what the status tells the master); 0 before. */
  port = 0;

  constructor(private readonly o: NodeApiOptions) {}

  /** Listens; resolves once `url` is set. */
  async start(): Promise<void> {
    const { key, cert, ca } = this.o.tls;
    const app = Fastify({
      loggerInstance: this.o.log as FastifyBaseLogger,
      logController: new LogController({ disableRequestLogging: true }),
      bodyLimit: NODE_API_BODY_LIMIT,
      ...timeoutOptions(NODE_API_TIMEOUTS),
      https: { key, cert, ca, requestCert: true, rejectUnauthorized: true },
    });
    applyServerTimeouts(app.server, NODE_API_TIMEOUTS);
    app.setErrorHandler(errorHandler(this.o.log, 'node API'));
    // Before the body is read: a caller that may not use a route cannot make the node take one in.
    app.addHook('onRequest', callerMayUse);
    this.routes(app);
    try {
      await app.listen({ host: this.o.host, port: this.o.port });
      this.port = (app.server.address() as AddressInfo).port;
      this.url = nodeApiUrl(this.o.host, this.port);
    } catch (err) {
      // A port in use or a host not on this machine: leave nothing open behind.
      await app.close();
      throw err;
    }
    this.app = app;
  }

  /** Stops listening. */
  async close(): Promise<void> {
    await this.app?.close();
  }

  private routes(app: FastifyInstance): void {
    const { index, log } = this.o;
    const files = new SegmentFiles({ roots: this.o.roots, index, log });
    registerPlaybackRoutes(app, {
      index,
      files,
      live: this.live,
      buffered: (camera, stream) => this.buffered(camera, stream),
      log,
    });
    registerStorageCheckRoute(app);
    registerCopySourceRoutes(app, { index, files, log, copySources: this.o.copySources ?? (() => []) });
    const id = identityOf(new X509Certificate(this.o.tls.cert).subjectAltName);
    if (this.o.chain && id?.kind === 'server')
      registerChainRoute(app, { server: id.server, chain: this.o.chain, certificate: this.o.tls.cert });
    if (this.o.verify) registerTimelineRoutes(app, { index, roots: this.o.roots, ...this.o.verify });
  }

  /** A camera stream's pre-buffer, or none (an id that names no camera folder holds none). */
  private buffered(camera: string, stream: number): BufferedSegment[] {
    try {
      return this.o.buffered?.(camera, stream) ?? [];
    } catch {
      return [];
    }
  }
}

/** The routes a server may call on another (copy-back): the listings (its count, its copy list), the download, the release. */
const COPY_SOURCE_ROUTES = new Set([
  `GET ${NODE_ROUTES.segments}`,
  `GET ${NODE_ROUTES.copyList}`,
  `GET ${NODE_ROUTES.segment}`,
  `POST ${NODE_ROUTES.release}`,
]);

/**
 * The node API's access rule, by the caller's verified farm certificate (TLS already refused any
 * other): the master may use every route, a server only the copy-back source routes.
 */
async function callerMayUse(req: FastifyRequest): Promise<void> {
  const peer = verifiedPeer(req.raw.socket)?.identity;
  if (!peer) throw new VigilError('UNAUTHORIZED', "a node's API needs the master's or a server's farm certificate");
  if (peer.kind === 'master') return;
  if (!COPY_SOURCE_ROUTES.has(`${req.method} ${req.routeOptions.url}`))
    throw new VigilError('FORBIDDEN', `server ${peer.server} may only copy footage back from this server`);
}
