import Fastify, { LogController, type FastifyBaseLogger, type FastifyInstance, type FastifyRequest } from 'fastify';
import { Type } from '@sinclair/typebox';
import { timingSafeEqual } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import type { IndexedSegment, LocalIndex } from '../recorder/local-index.ts';
import { livePlaylist, LIVE_WINDOW } from '../recorder/hls.ts';
import { LiveSequence } from './live-sequence.ts';
import { resolveInside } from '../lib/inside-root.ts';
import { VigilError, errorBody } from '../lib/errors.ts';
import { checkPathsWritable } from '../config/storage-settings.ts';
import type { Logger } from '../lib/log.ts';

/** Settings of a recording server's playback API. */
export interface NodeApiOptions {
  host: string;
  /** 0 lets the system choose; `url` tells which. */
  port: number;
  /** The storage paths holding a segment's file, the one to read from first. */
  roots: (seg: IndexedSegment) => string[];
  index: LocalIndex;
  /** Bearer token every request must carry (the farm's API token). */
  apiToken: Buffer;
  log: Logger;
}

/** A segment as the node lists it to the master: no storage path, which is the node's business. */
export const NodeSegment = Type.Object({ id: Type.Integer(), startMs: Type.Number(), endMs: Type.Number(), bytes: Type.Integer() });
/** Body of POST /node/v1/storage/check: paths this server would record to, and the free-space bounds. */
export const StorageCheck = Type.Object({
  paths: Type.Array(Type.String({ minLength: 1, maxLength: 4096, pattern: '^/' }), { minItems: 1, maxItems: 1000 }),
  minFreeBytes: Type.Optional(Type.Integer({ minimum: 0 })),
  minFreePercent: Type.Optional(Type.Number({ minimum: 0, maximum: 100 })),
});
/** Answer of POST /node/v1/storage/check: one line per problem, none when every path takes writes. */
export const StorageCheckResult = Type.Object({ problems: Type.Array(Type.String()) });
/** Answer of GET /node/v1/segments. */
export const NodeSegmentList = Type.Object({ camera: Type.String(), segments: Type.Array(NodeSegment) });

/** The widest listing a node answers: a day and an hour, so one request cannot make it read its whole index. */
const MAX_LIST_MS = 25 * 3_600_000;
/** A camera whose newest segment is older than this is not live here (it moved, or it stalled). */
const LIVE_STALE_MS = 30_000;
const M3U8 = 'application/vnd.apple.mpegurl';

/** Where a node serves a segment by id: the live playlist's URIs, which the master rewrites to its own. */
export function nodeSegmentPath(id: number): string {
  return `/node/v1/segments/${id}.ts`;
}

/**
 * A recording server's playback API: lists its segments, serves them by index id, and gives a
 * live HLS playlist per camera. Everything needs the farm's API token; players reach it through
 * the master, which adds the token. A request never names a file: files are found by index id and
 * served only from inside the storage root.
 */
export class NodeApi {
  private app: FastifyInstance | undefined;
  private readonly live = new LiveSequence();
  /** Base URL once started, e.g. http://127.0.0.1:41234. */
  url = '';

  constructor(private readonly o: NodeApiOptions) {}

  /** Listens; resolves once `url` is set. */
  async start(): Promise<void> {
    const app = Fastify({ loggerInstance: this.o.log as FastifyBaseLogger, logController: new LogController({ disableRequestLogging: true }) });
    app.setErrorHandler((err: Error & { validation?: unknown; statusCode?: number }, _req, reply) => {
      if (err instanceof VigilError) return reply.status(err.httpStatus).send(errorBody(err));
      if (err.validation) return reply.status(400).send(errorBody(new VigilError('BAD_REQUEST', err.message)));
      this.o.log.error({ err }, 'node api request failed');
      return reply.status(err.statusCode ?? 500).send(errorBody(new VigilError('INTERNAL', err.message, 500)));
    });
    app.addHook('onRequest', async (req) => this.authorize(req));
    this.routes(app);
    try {
      this.url = await app.listen({ host: this.o.host, port: this.o.port });
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

  private authorize(req: FastifyRequest): void {
    const got = Buffer.from(String(req.headers.authorization ?? '').replace(/^Bearer /, ''));
    if (got.length !== this.o.apiToken.length || !timingSafeEqual(got, this.o.apiToken)) throw new VigilError('UNAUTHORIZED', 'missing or wrong API token', 401);
  }

  private routes(app: FastifyInstance): void {
    const { index } = this.o;

    app.get(
      '/node/v1/segments',
      {
        schema: {
          querystring: Type.Object({
            camera: Type.String({ minLength: 1, maxLength: 200 }),
            from: Type.Integer({ minimum: 0 }),
            to: Type.Integer({ minimum: 0 }),
            stream: Type.Optional(Type.Integer({ minimum: 0, maximum: 99, default: 0 })),
          }),
          response: { 200: NodeSegmentList },
        },
      },
      async (req) => {
        const q = req.query as { camera: string; from: number; to: number; stream?: number };
        if (q.to <= q.from || q.to - q.from > MAX_LIST_MS) throw new VigilError('BAD_RANGE', `from < to, at most ${MAX_LIST_MS} ms apart`);
        // Rows whose video retention deleted (kept for reporting) are not playable.
        const segments = index.listRecorded(q.camera, q.from, q.to, q.stream ?? 0).map((s) => ({ id: s.id, startMs: s.startMs, endMs: s.endMs, bytes: s.bytes }));
        return { camera: q.camera, segments };
      },
    );

    // Before the master accepts storage settings: only this server can tell whether its paths
    // exist and take writes (a probe file is written and removed; nothing else is touched).
    app.post('/node/v1/storage/check', { schema: { body: StorageCheck, response: { 200: StorageCheckResult } } }, async (req) => {
      const b = req.body as { paths: string[]; minFreeBytes?: number; minFreePercent?: number };
      const bounds = b.minFreeBytes !== undefined || b.minFreePercent !== undefined ? { minFreeBytes: b.minFreeBytes ?? 0, minFreePercent: b.minFreePercent ?? 0 } : undefined;
      return { problems: await checkPathsWritable(b.paths, bounds) };
    });

    app.get(
      '/node/v1/segments/:id',
      // Digits only: the id is all a request can say about which file it wants.
      { schema: { params: Type.Object({ id: Type.String({ pattern: '^[0-9]{1,15}(\\.ts)?$' }) }) } },
      async (req, reply) => {
        const id = Number.parseInt((req.params as { id: string }).id, 10);
        const seg = this.o.index.get(id);
        let file: string | undefined;
        let st: Awaited<ReturnType<typeof stat>> | undefined;
        for (const root of seg ? this.o.roots(seg) : []) {
          file = await resolveInside(root, seg!.path);
          st = file ? await stat(file).catch(() => undefined) : undefined;
          if (st?.isFile()) break;
        }
        if (!file || !st?.isFile()) {
          if (seg) this.o.log.warn({ id, path: seg.path }, 'indexed segment missing or outside the storage paths: not served');
          throw new VigilError('NOT_FOUND', `no segment ${id}`, 404);
        }
        return reply.type('video/mp2t').header('content-length', st.size).header('cache-control', 'private, max-age=86400').send(createReadStream(file));
      },
    );

    app.get(
      '/node/v1/cameras/:id/live.m3u8',
      {
        schema: {
          params: Type.Object({ id: Type.String({ minLength: 1, maxLength: 200 }) }),
          querystring: Type.Object({ stream: Type.Optional(Type.Integer({ minimum: 0, maximum: 99, default: 0 })) }),
        },
      },
      async (req, reply) => {
        const { id } = req.params as { id: string };
        const stream = (req.query as { stream?: number }).stream ?? 0;
        const now = Date.now();
        const recent = index.listRecorded(id, now - 2 * LIVE_STALE_MS, Number.MAX_SAFE_INTEGER, stream).slice(-2 * LIVE_WINDOW);
        if (!recent.length || recent.at(-1)!.endMs < now - LIVE_STALE_MS) throw new VigilError('NOT_LIVE', `camera ${id} is not being recorded here`, 404);
        const segments = recent.map((s) => ({ id: s.id, uri: nodeSegmentPath(s.id), startMs: s.startMs, endMs: s.endMs }));
        const n = this.live.number(stream ? `${id}~${stream}` : id, segments);
        return reply.type(M3U8).header('cache-control', 'no-cache').send(livePlaylist(segments, n.seq, { discontinuitySequence: n.disc }));
      },
    );
  }
}
