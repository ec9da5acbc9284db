import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { Type } from '@sinclair/typebox';
import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import type { Controller } from '../controller/controller.ts';
import type { Store } from '../store/store.ts';
import { playbackPlan, type HeldSegment } from '../playback/playback-plan.ts';
import { vodPlaylist } from '../playback/hls.ts';
import { ServerNodes, type RelayedBody } from './server-nodes.ts';
import { parseNodeBufferPath, parseNodeSegmentPath } from '../protocol/node-api.ts';
import { liveRelayOf } from '../controller/assignment.ts';
import { exportMp4, type ExportedFile } from '../playback/export-mp4.ts';
import { sealExport } from '../playback/export-seal.ts';
import type { Interval } from '../store/rows.ts';
import { ErrorBody } from './schemas.ts';
import { VigilError } from '../lib/errors.ts';
import { askedRange } from '../lib/time-range.ts';
import { KeyedLimiter } from '../lib/keyed-limiter.ts';
import { actorName } from '../auth/principal.ts';
import { DEFAULT_API_LIMITS, MAX_EXPORT_MS, MAX_PLAYBACK_MS, type ApiLimits } from './limits.ts';
import type { ClientTls } from '../lib/http/tls.ts';
import { clientAddress } from './client-address.ts';

/** What the playback routes use of the master. */
export interface PlaybackDeps {
  controller: Controller;
  store: Store;
  /** How the master calls the recording servers: its farm certificate, the farm CA (farmClientTls). */
  nodeTls: ClientTls;
  /** Bounds on exports in flight (DEFAULT_API_LIMITS unless given). */
  limits?: Pick<ApiLimits, 'exportsPerActor' | 'exportsTotal'>;
}

const M3U8 = 'application/vnd.apple.mpegurl';
/**
 * An export sends nothing while its MP4 is built (segments fetched, ffmpeg joining them): its
 * connection may stay silent this long, past the API's idle timeout. Its own bounds (an hour of
 * footage, ffmpeg's 2 min) end it before.
 */
const EXPORT_IDLE_MS = 5 * 60_000;
/** Names the servers that hold footage of the range but did not answer: their footage shows as holes. */
export const MISSING_HEADER = 'x-vigil-missing-servers';

const CameraParams = Type.Object({ id: Type.String({ minLength: 1, maxLength: 200 }) });
const StreamParam = Type.Optional(
  Type.Integer({
    minimum: 0,
    maximum: 99,
    default: 0,
    description: "the camera's stream: 0 the first (main), 1 the second (sub), …",
  }),
);
const RangeQuery = Type.Object({
  from: Type.Optional(Type.String({ description: 'epoch ms or ISO 8601; default: to - 1 h' })),
  to: Type.Optional(Type.String({ description: 'epoch ms or ISO 8601; default: now' })),
  stream: StreamParam,
});
type RangeQuery = { from?: string; to?: string; stream?: number };
const missingHeader = {
  [MISSING_HEADER]: {
    type: 'string',
    description: 'comma-separated servers that recorded in the range but did not answer; their footage is missing',
  },
};
const errors = { '4xx': ErrorBody, '5xx': ErrorBody };
const playlist = (description: string, headers?: object) => ({
  description,
  ...(headers && { headers }),
  content: { [M3U8]: { schema: Type.String() } },
});

/**
 * Playback through the master: a VOD playlist over a camera's footage on every server that recorded
 * it, an MP4 export of a range, the live playlist of the server recording the camera now, and the
 * segments of all three, fetched from the server that holds them. Players only ever talk to the
 * master, which alone holds a certificate the recording servers serve footage to.
 */
export function registerPlaybackRoutes(app: FastifyInstance, d: PlaybackDeps): void {
  const nodes = new ServerNodes(d.controller, d.nodeTls);
  app.addHook('onClose', async () => nodes.close());
  const limits = d.limits ?? DEFAULT_API_LIMITS;
  const exports = new KeyedLimiter(limits.exportsPerActor, limits.exportsTotal);

  /** A slot for one export of whoever asks (a user, else the address); TOO_MANY_REQUESTS when none is free. */
  const exportSlot = (req: FastifyRequest) => {
    const who = req.principal ? actorName(req.principal) : `address ${clientAddress(req)}`;
    const slot = exports.acquire(who);
    if ('release' in slot) return slot.release;
    throw new VigilError(
      'TOO_MANY_REQUESTS',
      slot.refused === 'key'
        ? `${who} has ${slot.limit} export(s) under way already, the most at once; try again once one has finished`
        : `${slot.limit} exports are under way, the most the master runs at once; try again later`,
    );
  };

  const camera = (id: string) => {
    if (!d.controller.state().cameras.some((c) => c.id === id))
      throw new VigilError('NOT_FOUND', `no camera ${id}`, 404);
  };

  /** What to play for a camera over a range: one non-overlapping sequence over every server that answers. */
  const plan = async (
    cam: string,
    from: number,
    to: number,
    stream: number,
  ): Promise<{ segments: HeldSegment[]; missing: string[]; recorded: Interval[]; held: HeldSegment[] }> => {
    const recorded = await d.store.recordings(cam, from, to, stream);
    const servers = [...new Set(recorded.map((r) => r.server))].sort();
    const held: HeldSegment[] = [];
    const missing: string[] = [];
    await Promise.all(
      servers.map(async (server) => {
        try {
          for (const s of await nodes.list(server, cam, from, to, stream))
            held.push({ server, id: s.id, startMs: s.startMs, endMs: s.endMs });
        } catch (err) {
          // A server that is down keeps its footage: it plays again once the server is back.
          app.log.warn(
            { err, server, camera: cam },
            'playback: a server holding footage does not answer; its footage is left out',
          );
          missing.push(server);
        }
      }),
    );
    return { segments: playbackPlan(held), missing: missing.sort(), recorded, held };
  };

  const markMissing = (reply: FastifyReply, missing: string[]) => {
    if (missing.length) reply.header(MISSING_HEADER, missing.join(','));
  };

  app.get(
    '/api/v1/cameras/:id/playback.m3u8',
    {
      schema: {
        summary:
          'HLS VOD playlist over the recorded footage of a range, from whichever servers hold it; a discontinuity at each hole or change of server',
        params: CameraParams,
        querystring: RangeQuery,
        response: {
          200: playlist('HLS v3 VOD playlist; empty when nothing was recorded in the range', missingHeader),
          ...errors,
        },
      },
    },
    async (req, reply) => {
      const { id } = req.params as { id: string };
      camera(id);
      const q = req.query as RangeQuery;
      const { from, to } = askedRange(q, Date.now(), MAX_PLAYBACK_MS, 'a playlist');
      const { segments, missing } = await plan(id, from, to, q.stream ?? 0);
      markMissing(reply, missing);
      const entries = segments.map((s) => ({
        uri: segmentUri(s.server, s.id),
        startMs: s.startMs,
        endMs: s.endMs,
        source: s.server,
      }));
      return reply.type(M3U8).header('cache-control', 'no-cache').send(vodPlaylist(entries));
    },
  );

  app.get(
    '/api/v1/cameras/:id/export.mp4',
    {
      schema: {
        summary:
          'the footage of a range (at most 1 h) as one MP4 file; holes are closed up. It ends with a signed manifest (a top-level uuid box) that `vigil verify-export` checks offline: which server recorded each part, their signed chain links, every hole named. A few at once per user and in all (429 beyond)',
        params: CameraParams,
        querystring: RangeQuery,
        response: {
          200: {
            description: 'H.264 MP4, faststart',
            headers: missingHeader,
            content: { 'video/mp4': { schema: Type.String({ format: 'binary' }) } },
          },
          204: {
            type: 'null',
            description: 'nothing recorded in the range (or on the servers that answered)',
            headers: missingHeader,
          },
          ...errors,
        },
      },
    },
    async (req, reply) => {
      const { id } = req.params as { id: string };
      camera(id);
      const q = req.query as RangeQuery;
      const { from, to } = askedRange(q, Date.now(), MAX_EXPORT_MS, 'an export');
      // Refused before anything is fetched or written: a refused export leaves no temp file.
      const release = exportSlot(req);
      // Once the file is handed to the stream that sends it, the stream's close removes it and frees the slot.
      let sending = false;
      let out: ExportedFile | undefined;
      try {
        req.raw.socket?.setTimeout(EXPORT_IDLE_MS);
        const gone = new AbortController();
        reply.raw.once('close', () => gone.abort());
        const stream = q.stream ?? 0;
        const { segments, missing, recorded, held } = await plan(id, from, to, stream);
        markMissing(reply, missing);
        if (!segments.length) return reply.status(204).send();
        out = await exportMp4({
          segments,
          fetchSegment: async (server, sid, signal) => (await nodes.segment(server, sid, signal)).body,
          signal: gone.signal,
          log: app.log,
        });
        if (gone.signal.aborted) return reply; // the client went away while it was built: nobody to send it to
        if (d.nodeTls.key && d.nodeTls.cert)
          await sealExport({
            file: out.file,
            camera: id,
            stream,
            fromMs: from,
            toMs: to,
            plan: segments,
            held,
            fetched: out.fetched,
            recorded,
            servers: d.controller.state().servers.map((s) => s.id),
            chainOf: (server) => nodes.chain(server, id, from, to, stream),
            master: { key: d.nodeTls.key, cert: d.nodeTls.cert },
            now: Date.now(),
            log: app.log,
          });
        const size = (await stat(out.file)).size;
        const sent = out;
        const body = createReadStream(sent.file);
        body.once('close', () => void sent.cleanup().finally(release));
        sending = true;
        if (sent.skipped) reply.header('x-vigil-skipped-segments', String(sent.skipped));
        return reply
          .type('video/mp4')
          .header('content-length', size)
          .header('content-disposition', `attachment; filename="${id.replace(/[^\w.-]/g, '_')}_${from}_${to}.mp4"`)
          .send(body);
      } finally {
        // Not being sent (refused by a node, failed, cancelled): exportMp4 removed its folder when it
        // failed; a file built for a client gone is removed here.
        if (!sending) {
          await out?.cleanup();
          release();
        }
      }
    },
  );

  app.get(
    '/api/v1/cameras/:id/live.m3u8',
    {
      schema: {
        summary:
          'HLS live playlist of the server recording the camera now (or relaying it live while its server is down), segments through the master',
        params: CameraParams,
        querystring: Type.Object({ stream: StreamParam }),
        response: { 200: playlist('HLS v3 live playlist (sliding window)'), ...errors },
      },
    },
    async (req, reply) => {
      const { id } = req.params as { id: string };
      camera(id);
      const f = d.controller.state();
      const c = f.cameras.find((x) => x.id === id)!;
      // A live-only camera whose server failed is pulled by its relay, which only buffers it.
      const server = liveRelayOf(f, c) ?? c.current;
      let text: string;
      try {
        text = await nodes.live(server, id, (req.query as { stream?: number }).stream ?? 0);
      } catch (err) {
        if (err instanceof VigilError && err.httpStatus === 404)
          throw new VigilError(
            'NOT_LIVE',
            `camera ${id} has no recent footage on ${server} (starting, stalled or failing over)`,
            404,
          );
        throw err;
      }
      // The node names its segments by its own paths; players fetch them through the master.
      return reply.type(M3U8).header('cache-control', 'no-cache').send(rewriteLivePlaylist(text, server));
    },
  );

  app.get(
    '/api/v1/buffer/:server/:camera/:stream/:start',
    {
      schema: {
        summary: "one segment of a live relay's pre-buffer (MPEG-TS; gone once it leaves the relay's window)",
        params: Type.Object({
          server: Type.String({ minLength: 1, maxLength: 200 }),
          camera: Type.String({ minLength: 1, maxLength: 200 }),
          stream: Type.String({ pattern: '^[0-9]{1,2}$' }),
          start: Type.String({ pattern: '^[0-9]{1,15}\\.ts$', description: '<start epoch ms>.ts' }),
        }),
        response: {
          200: { description: 'MPEG-TS', content: { 'video/mp2t': { schema: Type.String({ format: 'binary' }) } } },
          ...errors,
        },
      },
    },
    async (req, reply) => {
      const p = req.params as { server: string; camera: string; stream: string; start: string };
      if (!d.controller.state().servers.some((s) => s.id === p.server))
        throw new VigilError('NOT_FOUND', `no server ${p.server}`, 404);
      camera(p.camera);
      return relayTs(reply, 'no-cache', (signal) =>
        nodes.buffered(p.server, p.camera, Number(p.stream), Number.parseInt(p.start, 10), signal),
      );
    },
  );

  app.get(
    '/api/v1/segments/:server/:segment',
    {
      schema: {
        summary: 'one recorded segment (MPEG-TS), fetched from the server that holds it',
        params: Type.Object({
          server: Type.String({ minLength: 1, maxLength: 200 }),
          segment: Type.String({ pattern: '^[0-9]{1,15}\\.ts$', description: '<index id>.ts' }),
        }),
        response: {
          200: { description: 'MPEG-TS', content: { 'video/mp2t': { schema: Type.String({ format: 'binary' }) } } },
          ...errors,
        },
      },
    },
    async (req, reply) => {
      const { server, segment } = req.params as { server: string; segment: string };
      if (!d.controller.state().servers.some((s) => s.id === server))
        throw new VigilError('NOT_FOUND', `no server ${server}`, 404);
      return relayTs(reply, 'private, max-age=86400', (signal) =>
        nodes.segment(server, Number.parseInt(segment, 10), signal),
      );
    },
  );
}

/** Sends a node's MPEG-TS answer on to the player; the node's request ends when the player goes away. */
async function relayTs(
  reply: FastifyReply,
  cacheControl: string,
  fetchTs: (signal: AbortSignal) => Promise<RelayedBody>,
): Promise<FastifyReply> {
  const gone = new AbortController();
  reply.raw.once('close', () => gone.abort());
  const res = await fetchTs(gone.signal);
  if (res.length) reply.header('content-length', res.length);
  return reply.type('video/mp2t').header('cache-control', cacheControl).send(res.body);
}

/** A node's live playlist with its segment URIs (the node's own paths) made the master's. Pure. */
export function rewriteLivePlaylist(text: string, server: string): string {
  return text
    .split('\n')
    .map((line) => {
      const seg = parseNodeSegmentPath(line);
      if (seg) return segmentUri(server, seg.id);
      const held = parseNodeBufferPath(line);
      return held ? bufferUri(server, held.camera, held.stream, held.startMs) : line;
    })
    .join('\n');
}

/** Where a player fetches a segment of a live relay's pre-buffer: through the master, named by server, stream and start. */
export function bufferUri(server: string, camera: string, stream: number, startMs: number): string {
  return `/api/v1/buffer/${encodeURIComponent(server)}/${encodeURIComponent(camera)}/${stream}/${startMs}.ts`;
}

/** Where a player fetches a segment: through the master, named by server and that server's index id. */
export function segmentUri(server: string, id: number): string {
  return `/api/v1/segments/${encodeURIComponent(server)}/${id}.ts`;
}
