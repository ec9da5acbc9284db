import type { FastifyInstance } from 'fastify';
import { Type } from '@sinclair/typebox';
import { VigilError } from '../lib/errors.ts';
import type { ChannelEvent, EventHub } from './event-hub.ts';
import { ErrorBody } from '../api/schemas.ts';

/** How often an idle stream says it is alive (a comment line): below every idle timeout on the way. */
export const PING_MS = 15_000;

/**
 * How much a stream may hold unsent before the master drops it: a client that cannot keep up (or
 * stopped reading) would otherwise grow the master's memory without end. It reconnects with its
 * Last-Event-ID and catches up by replay or snapshot.
 */
export const MAX_UNSENT_BYTES = 8 * 1024 * 1024;

/** One message in the text/event-stream format. */
export function sseMessage(id: string, type: string, atMs: number, value: unknown): string {
  return `id: ${id}\nevent: ${type}\ndata: ${JSON.stringify({ atMs, value })}\n\n`;
}

/** What GET /api/v1/events needs. */
export interface EventsRouteDeps {
  hub: EventHub;
  /** The whole picture as a new client gets it (servers, cameras, failovers, copy-backs, master, generation). */
  snapshot: () => Promise<unknown>;
  maxStreams: number;
}

/**
 * GET /api/v1/events, the service channel: server-sent events (see docs/architecture.md). A client
 * without Last-Event-ID (header, or `lastEventId` in the query for a client that opens a new
 * stream itself) gets a snapshot first; one whose id the hub still covers gets exactly the events
 * it missed; any other a snapshot. Events that arrive while a snapshot is read wait behind it.
 * Streams end when the master closes (preClose, so closing never waits on them) or at endAll
 * (a master that stops leading: its clients come back through the standby gate).
 */
export function registerEventsRoute(app: FastifyInstance, d: EventsRouteDeps): { endAll: () => void } {
  const open = new Set<() => void>();
  const endAll = () => {
    for (const end of [...open]) end();
  };
  app.addHook('preClose', async () => endAll());
  app.get(
    '/api/v1/events',
    {
      schema: {
        summary:
          'the service channel (text/event-stream): snapshot, then server, camera, failover, copyback, copyback-done, config and master events, each {atMs, value}; Last-Event-ID resumes',
        querystring: Type.Object({ lastEventId: Type.Optional(Type.String()) }),
        response: {
          200: {
            description: 'an endless text/event-stream',
            content: { 'text/event-stream': { schema: Type.String() } },
          },
          '4xx': ErrorBody,
          '5xx': ErrorBody,
        },
      },
    },
    async (req, reply) => {
      if (open.size >= d.maxStreams)
        throw new VigilError('TOO_MANY_REQUESTS', `${open.size} service channel streams are open already`, 429);
      const last =
        (req.headers['last-event-id'] as string | undefined) ?? (req.query as { lastEventId?: string }).lastEventId;
      const res = reply.raw;
      // The stream is silent between events: no idle timeout of its own (the ping keeps proxies awake).
      req.raw.socket.setTimeout(0);
      reply.hijack();
      res.writeHead(200, {
        'content-type': 'text/event-stream; charset=utf-8',
        'cache-control': 'no-cache, no-transform',
        connection: 'keep-alive',
        'x-accel-buffering': 'no',
      });
      res.write('retry: 1000\n\n');
      let waiting: ChannelEvent[] | undefined = [];
      let sentSeq = 0;
      const send = (e: ChannelEvent) => {
        if (e.seq <= sentSeq) return;
        sentSeq = e.seq;
        res.write(sseMessage(e.id, e.type, e.atMs, e.value));
        if (res.writableLength > MAX_UNSENT_BYTES) end();
      };
      const unsubscribe = d.hub.subscribe((e) => (waiting ? waiting.push(e) : send(e)));
      const ping = setInterval(() => res.write(': ping\n\n'), PING_MS);
      const end = () => {
        clearInterval(ping);
        unsubscribe();
        open.delete(end);
        res.end();
      };
      open.add(end);
      res.on('close', end);
      const resume = d.hub.resume(last);
      if ('replay' in resume) {
        for (const e of resume.replay) send(e);
        // Nothing missed: the client stands where the hub does.
        sentSeq = Math.max(sentSeq, d.hub.lastSeq);
      } else {
        const at = d.hub.lastId;
        const seq = d.hub.lastSeq;
        try {
          const snapshot = await d.snapshot();
          res.write(sseMessage(at, 'snapshot', Date.now(), snapshot));
          sentSeq = seq;
        } catch (err) {
          res.write(`event: error\ndata: ${JSON.stringify({ message: (err as Error).message })}\n\n`);
          end();
          return;
        }
      }
      const queued = waiting;
      waiting = undefined;
      for (const e of queued) send(e);
    },
  );
  return { endAll };
}
