import Fastify, { LogController, type FastifyBaseLogger, type FastifyInstance, type FastifyReply } from 'fastify';
import { createReadStream } from 'node:fs';
import { open, rm, stat } from 'node:fs/promises';
import { join, normalize } from 'node:path';
import type { IndexedSegment, LocalIndex } from '../storage/local-index.ts';
import type { BufferedSegment } from '../recorder/camera-recorder.ts';
import { livePlaylist, LIVE_WINDOW, type PlaylistSegment } from '../playback/hls.ts';
import { LiveSequence } from '../playback/live-sequence.ts';
import { fingerprintOf, reprDigest, sendHashed, sha256File, wantsSha256 } from './file-digest.ts';
import { resolveInside } from '../lib/inside-root.ts';
import { VigilError } from '../lib/errors.ts';
import { bearerAuth } from '../lib/http/bearer-auth.ts';
import { errorHandler } from '../lib/http/error-handler.ts';
import { checkRange } from '../lib/time-range.ts';
import { checkPathsWritable } from '../storage/path-probe.ts';
import type { Logger } from '../lib/log.ts';
import {
  BufferParams,
  LiveParams,
  LiveQuery,
  MAX_LIST_MS,
  NODE_ROUTES,
  NodeCopyList,
  NodeSegmentList,
  RangeQuery,
  ReleaseParams,
  ReleaseRequest,
  ReleaseResult,
  SegmentParams,
  StorageCheck,
  StorageCheckResult,
  nodeBufferPath,
  nodeSegmentPath,
} from '../protocol/node-api.ts';

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
  /** A camera stream's pre-buffer here (a live-only relay, a hot standby), oldest first; live view falls back to it. */
  buffered?: (camera: string, stream: number) => BufferedSegment[];
}

/** A listing's range, refused when empty or wider than MAX_LIST_MS. */
function rangeOf(query: unknown): RangeQuery {
  const q = query as RangeQuery;
  checkRange(q.from, q.to, MAX_LIST_MS);
  return q;
}

/** One stored copy of a segment: `file` to read (its real path), `at` the name in the layout, to delete. */
interface SegmentFile {
  root: string;
  file: string;
  at: string;
  bytes: number;
}

/** A camera whose newest segment is older than this is not live here (it moved, or it stalled). */
const LIVE_STALE_MS = 30_000;
const M3U8 = 'application/vnd.apple.mpegurl';
const SEGMENT_CACHE = 'private, max-age=86400';

/**
 * A recording server's playback API: lists its segments, serves them by index id, and gives a
 * live HLS playlist per camera. Everything needs the farm's API token; players reach it through
 * the master, which adds the token. A request never names a file: files are found by index id and
 * served only from inside the storage root. For failback with copy-back it also lists segments with
 * their checksums and deletes ("releases") a segment once its home server holds a verified copy.
 */
export class NodeApi {
  private app: FastifyInstance | undefined;
  private readonly live = new LiveSequence();
  /** Base URL once started, e.g. http://127.0.0.1:41234. */
  url = '';

  constructor(private readonly o: NodeApiOptions) {}

  /** Listens; resolves once `url` is set. */
  async start(): Promise<void> {
    const app = Fastify({
      loggerInstance: this.o.log as FastifyBaseLogger,
      logController: new LogController({ disableRequestLogging: true }),
    });
    app.setErrorHandler(errorHandler(this.o.log, 'node API'));
    // Before the body is read: an unauthenticated client cannot make the node take one in.
    app.addHook('onRequest', bearerAuth(this.o.apiToken, 'API token'));
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

  private routes(app: FastifyInstance): void {
    const { index } = this.o;

    app.get(
      NODE_ROUTES.segments,
      {
        schema: {
          querystring: RangeQuery,
          response: { 200: NodeSegmentList },
        },
      },
      async (req) => {
        const q = rangeOf(req.query);
        // Rows whose video retention deleted (kept for reporting) are not playable.
        const segments = index
          .listRecorded(q.camera, q.from, q.to, q.stream ?? 0)
          .map((s) => ({ id: s.id, startMs: s.startMs, endMs: s.endMs, bytes: s.bytes }));
        return { camera: q.camera, segments };
      },
    );

    // Before the master accepts storage settings: only this server can tell whether its paths
    // exist and take writes (a probe file is written and removed; nothing else is touched).
    app.post(
      NODE_ROUTES.storageCheck,
      { schema: { body: StorageCheck, response: { 200: StorageCheckResult } } },
      async (req) => {
        const b = req.body as { paths: string[]; minFreeBytes?: number; minFreePercent?: number };
        const bounds =
          b.minFreeBytes !== undefined || b.minFreePercent !== undefined
            ? { minFreeBytes: b.minFreeBytes ?? 0, minFreePercent: b.minFreePercent ?? 0 }
            : undefined;
        return { problems: await checkPathsWritable(b.paths, bounds) };
      },
    );

    app.get(
      NODE_ROUTES.segment,
      // Digits only: the id is all a request can say about which file it wants.
      { schema: { params: SegmentParams } },
      async (req, reply) => {
        const id = Number.parseInt((req.params as { id: string }).id, 10);
        const seg = this.o.index.get(id);
        const [first] = seg ? await this.files(seg, true) : [];
        if (!seg || !first) {
          if (seg)
            this.o.log.warn({ id, path: seg.path }, 'indexed segment missing or outside the storage paths: not served');
          throw new VigilError('NOT_FOUND', `no segment ${id}`, 404);
        }
        if (wantsSha256(req.headers['want-repr-digest'])) return this.sendWithDigest(reply, seg, first.file);
        return reply
          .type('video/mp2t')
          .header('content-length', first.bytes)
          .header('cache-control', SEGMENT_CACHE)
          .send(createReadStream(first.file));
      },
    );

    app.get(
      NODE_ROUTES.copyList,
      {
        schema: {
          querystring: RangeQuery,
          response: { 200: NodeCopyList },
        },
      },
      async (req) => {
        const q = rangeOf(req.query);
        const segments = [];
        for (const seg of index.listRecorded(q.camera, q.from, q.to, q.stream ?? 0)) {
          const [first] = await this.files(seg, true);
          if (!first) {
            // Nothing to copy; the row stays until retention removes it.
            this.o.log.warn(
              { id: seg.id, path: seg.path },
              'indexed segment missing or outside the storage paths: not listed for copy',
            );
            continue;
          }
          segments.push({ id: seg.id, startMs: seg.startMs, endMs: seg.endMs, bytes: first.bytes });
        }
        return { camera: q.camera, segments };
      },
    );

    // Deletes only what the caller proved it holds: every copy here must still hash to the sha256
    // it verified its own copy against, so a file changed since it was sent is never lost. The
    // checksum cached when the file was sent stands for a copy whose fingerprint is unchanged.
    app.post(
      NODE_ROUTES.release,
      {
        schema: {
          params: ReleaseParams,
          body: ReleaseRequest,
          response: { 200: ReleaseResult },
        },
      },
      async (req) => {
        const id = Number.parseInt((req.params as { id: string }).id, 10);
        const want = (req.body as { sha256: string }).sha256.toLowerCase();
        const seg = index.get(id);
        if (!seg) return { released: false }; // unknown, or released before
        const files = await this.files(seg, false);
        if (!files.length)
          throw new VigilError(
            'NOT_FOUND',
            `segment ${id}: no readable file in this node's storage paths; nothing released`,
            404,
          );
        for (const f of files) {
          const sha256 = (await this.cachedSha256(seg, f.file)) ?? (await sha256File(f.file)).sha256;
          if (sha256 !== want) {
            throw new VigilError(
              'CHECKSUM_MISMATCH',
              `segment ${id}: the copy in ${f.root} has sha256 ${sha256}, not ${want}; nothing released`,
              409,
            );
          }
        }
        // Files first, then the index: a crash between leaves a row without a file, which
        // retention clears, never a file the index has forgotten.
        const removed: { id: number; root: string }[] = [];
        for (const f of files) {
          try {
            await rm(f.at, { force: true });
            removed.push({ id, root: f.root });
          } catch (err) {
            index.removeCopies(removed, false);
            throw new VigilError(
              'RELEASE_FAILED',
              `segment ${id}: cannot delete ${f.at}: ${(err as Error).message}`,
              500,
            );
          }
        }
        index.removeSegment(id);
        this.o.log.info(
          { id, camera: seg.cameraId, startMs: seg.startMs, copies: files.length },
          'segment released: its home server holds a verified copy',
        );
        return { released: true };
      },
    );

    app.get(
      NODE_ROUTES.live,
      {
        schema: {
          params: LiveParams,
          querystring: LiveQuery,
        },
      },
      async (req, reply) => {
        const { id } = req.params as { id: string };
        const stream = (req.query as { stream?: number }).stream ?? 0;
        const now = Date.now();
        const recent = index
          .listRecorded(id, now - 2 * LIVE_STALE_MS, Number.MAX_SAFE_INTEGER, stream)
          .slice(-2 * LIVE_WINDOW);
        let segments: (PlaylistSegment & { id: number })[];
        let key = stream ? `${id}~${stream}` : id;
        if (recent.length && recent.at(-1)!.endMs >= now - LIVE_STALE_MS) {
          segments = recent.map((s) => ({ id: s.id, uri: nodeSegmentPath(s.id), startMs: s.startMs, endMs: s.endMs }));
        } else {
          // Not recorded here: a live-only relay (or a hot standby) pulls it into its pre-buffer.
          const held = this.buffered(id, stream).slice(-2 * LIVE_WINDOW);
          if (!held.length || held.at(-1)!.endMs < now - LIVE_STALE_MS)
            throw new VigilError('NOT_LIVE', `camera ${id} is neither recorded nor relayed here`, 404);
          // Start times name held segments; their own numbering, apart from the index ids.
          segments = held.map((s) => ({
            id: s.startMs,
            uri: nodeBufferPath(id, stream, s.startMs),
            startMs: s.startMs,
            endMs: s.endMs,
          }));
          key = `buffer:${key}`;
        }
        const n = this.live.number(key, segments);
        return reply
          .type(M3U8)
          .header('cache-control', 'no-cache')
          .send(livePlaylist(segments, n.seq, { discontinuitySequence: n.disc }));
      },
    );

    app.get(
      NODE_ROUTES.buffer,
      {
        schema: {
          params: BufferParams,
        },
      },
      async (req, reply) => {
        const p = req.params as { camera: string; stream: string; start: string };
        const startMs = Number.parseInt(p.start, 10);
        const held = this.buffered(p.camera, Number.parseInt(p.stream, 10)).find((s) => s.startMs === startMs);
        // The file is the recorder's own (never a name from the request); it may leave the window meanwhile.
        const st = held && (await stat(held.file).catch(() => undefined));
        if (!held || !st)
          throw new VigilError(
            'NOT_FOUND',
            `no buffered segment of ${p.camera} stream ${p.stream} starting at ${startMs}`,
            404,
          );
        return reply
          .type('video/mp2t')
          .header('content-length', st.size)
          .header('cache-control', 'no-cache')
          .send(createReadStream(held.file));
      },
    );
  }

  /** A camera stream's pre-buffer, or none (an id that names no camera folder holds none). */
  private buffered(camera: string, stream: number): BufferedSegment[] {
    try {
      return this.o.buffered?.(camera, stream) ?? [];
    } catch {
      return [];
    }
  }

  /**
   * Sends a segment chunked, hashing it as it is read, with its SHA-256 in a Repr-Digest trailer
   * (RFC 9530): copy-back verifies what it got against it, without the file being read twice here.
   * The checksum is cached in the index for the release that follows. Written by hand, not by
   * fastify, so the file goes out through reused buffers (see sendHashed).
   */
  private async sendWithDigest(reply: FastifyReply, seg: IndexedSegment, file: string): Promise<void> {
    const fh = await open(file, 'r');
    reply.hijack();
    const res = reply.raw;
    res.writeHead(200, {
      'content-type': 'video/mp2t',
      'cache-control': SEGMENT_CACHE,
      'transfer-encoding': 'chunked',
      trailer: 'repr-digest',
    });
    try {
      const { sha256, fingerprint } = await sendHashed(fh, res);
      if (fingerprint) this.o.index.setChecksum(seg.id, sha256, fingerprint);
      res.addTrailers({ 'repr-digest': reprDigest(sha256) });
      res.end();
    } catch (err) {
      // The status is sent: cutting the connection is all that is left to tell the client (it gets no trailer).
      this.o.log.warn({ id: seg.id, err: (err as Error).message }, 'segment not sent whole');
      res.destroy();
    }
  }

  /** The checksum cached for a segment when `file` is still the very file it was taken of, else undefined. */
  private async cachedSha256(seg: IndexedSegment, file: string): Promise<string | undefined> {
    const cached = this.o.index.checksum(seg.id);
    return cached && (await fingerprintOf(file)) === cached.stat ? cached.sha256 : undefined;
  }

  /**
   * The segment's files in its storage paths, in reading order (only the first with `firstOnly`);
   * a path the index row would lead out of the storage root through is skipped.
   */
  private async files(seg: IndexedSegment, firstOnly: boolean): Promise<SegmentFile[]> {
    const out: SegmentFile[] = [];
    for (const root of this.o.roots(seg)) {
      const file = await resolveInside(root, seg.path);
      const st = file ? await stat(file).catch(() => undefined) : undefined;
      if (!file || !st?.isFile()) continue;
      // Delete the name in the layout, not its real target: a symlinked name must not take another file with it.
      out.push({ root, file, at: join(root, normalize(seg.path)), bytes: st.size });
      if (firstOnly) break;
    }
    return out;
  }
}
