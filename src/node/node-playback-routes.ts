import type { FastifyInstance } from 'fastify';
import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import { VigilError } from '../lib/errors.ts';
import { checkRange } from '../lib/time-range.ts';
import { livePlaylist, LIVE_WINDOW, type PlaylistSegment } from '../playback/hls.ts';
import type { LiveSequence } from '../playback/live-sequence.ts';
import {
  BufferParams,
  LiveParams,
  LiveQuery,
  MAX_LIST_MS,
  NODE_ROUTES,
  NodeSegmentList,
  RangeQuery,
  SegmentParams,
  nodeBufferPath,
  nodeSegmentPath,
} from '../protocol/node-api.ts';
import type { BufferedSegment } from '../recorder/camera-recorder.ts';
import type { LocalIndex } from '../storage/local-index.ts';
import { wantsSha256 } from './file-digest.ts';
import { recorderOfCopy } from '../storage/layout.ts';
import { SEGMENT_CACHE, type SegmentFiles } from './segment-files.ts';
import type { Logger } from '../lib/log.ts';

/** What the playback routes use of the node. */
export interface PlaybackRouteDeps {
  index: LocalIndex;
  files: SegmentFiles;
  /** The live playlists' numbering, kept across requests. */
  live: LiveSequence;
  /** A camera stream's pre-buffer here, oldest first; none for an unknown camera. */
  buffered: (camera: string, stream: number) => BufferedSegment[];
  log: Logger;
}

/** A camera whose newest segment is older than this is not live here (it moved, or it stalled). */
const LIVE_STALE_MS = 30_000;
const M3U8 = 'application/vnd.apple.mpegurl';

/** A listing's range, refused when empty or wider than MAX_LIST_MS. */
export function listingRange(query: unknown): RangeQuery {
  const q = query as RangeQuery;
  checkRange(q.from, q.to, MAX_LIST_MS);
  return q;
}

/**
 * Playback from a node, for the master to relay: its segments listed and served by index id, a
 * live HLS playlist per camera stream, and the pre-buffer of a live relay.
 */
export function registerPlaybackRoutes(app: FastifyInstance, d: PlaybackRouteDeps): void {
  const { index } = d;

  app.get(
    NODE_ROUTES.segments,
    {
      schema: {
        querystring: RangeQuery,
        response: { 200: NodeSegmentList },
      },
    },
    async (req) => {
      const q = listingRange(req.query);
      // Rows whose video retention deleted (kept for reporting) are not playable.
      const segments = index.listRecorded(q.camera, q.from, q.to, q.stream ?? 0).map((s) => ({
        id: s.id,
        startMs: s.startMs,
        endMs: s.endMs,
        bytes: s.bytes,
        ...(s.sha256 && { sha256: s.sha256 }),
        ...(recorderOfCopy(s.path) && { recordedBy: recorderOfCopy(s.path) }),
      }));
      return { camera: q.camera, segments };
    },
  );

  app.get(
    NODE_ROUTES.segment,
    // Digits only: the id is all a request can say about which file it wants.
    { schema: { params: SegmentParams } },
    async (req, reply) => {
      const id = Number.parseInt((req.params as { id: string }).id, 10);
      const seg = index.get(id);
      const [first] = seg ? await d.files.files(seg, true) : [];
      if (!seg || !first) {
        if (seg) d.log.warn({ id, path: seg.path }, 'indexed segment missing or outside the storage paths: not served');
        throw new VigilError('NOT_FOUND', `no segment ${id}`, 404);
      }
      if (wantsSha256(req.headers['want-repr-digest'])) return d.files.sendWithDigest(reply, seg, first.file);
      return reply
        .type('video/mp2t')
        .header('content-length', first.bytes)
        .header('cache-control', SEGMENT_CACHE)
        .send(createReadStream(first.file));
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
        const held = d.buffered(id, stream).slice(-2 * LIVE_WINDOW);
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
      const n = d.live.number(key, segments);
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
      const held = d.buffered(p.camera, Number.parseInt(p.stream, 10)).find((s) => s.startMs === startMs);
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
