import { request as httpsRequest, Agent } from 'node:https';
import type { ClientRequest } from 'node:http';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { ClientTls } from '../lib/http/tls.ts';
import type { LeaderSeen } from './leadership.ts';
import { VigilError, errorBody } from '../lib/errors.ts';
import { storeUnavailable } from '../store/unavailable.ts';

/** What a master answers as a standby. */
export interface StandbyGateOptions {
  /** Whether this master leads (then the gate lets everything through). */
  leading: () => boolean;
  /** The leader as this master last saw it in the store; none while the lease is lapsed or unread. */
  leader: () => LeaderSeen | undefined;
  /** Whether the store does not answer this master (then nobody can lead through it: STORE_UNAVAILABLE). */
  storeUnreachable?: () => boolean;
  /** How this master calls the leader: its farm certificate, trusting the farm CA, the peer a master. */
  tls: ClientTls;
  /** This master's id, in the header of what it forwards. */
  id?: string;
}

/** The header of a standby's refusal (its value: the leader's id, empty when none leads). */
export const NOT_LEADER_HEADER = 'x-vigil-not-leader';
/**
 * The header a standby adds to what it forwards (its value: its id). A master that receives it and
 * does not lead refuses rather than forward again: two masters whose views of the lease are stale
 * never pass a request back and forth.
 */
export const FORWARDED_HEADER = 'x-vigil-forwarded-by';
/** A leader that does not even accept the connection within this is taken as unreachable (not the SYN timeout's 2 min). */
const CONNECT_MS = 3000;

/** Paths a standby answers itself: which master it is (and who leads), and whether it runs. */
const LOCAL = new Set(['/api/v1/master', '/api/v1/health']);
const NODE_CHANNEL = /^\/api\/v1\/nodes\//;
/** Headers that belong to one hop (RFC 9110 §7.6.1), not passed on. */
const HOP = new Set(['connection', 'keep-alive', 'transfer-encoding', 'upgrade', 'proxy-connection', 'te', 'host']);

/**
 * The first hook of a master's app: while it does not lead, the API is the leader's. A recording
 * server's channel is refused with 503 NOT_LEADER naming the leader (the server calls it directly:
 * the leader knows it by its own certificate, which a hop would hide); every other /api/ request is
 * forwarded to the leader as it came, body and answer streamed (the service channel too), so a
 * person's client may talk to any master. The console's files and /api/v1/master are served here.
 * With no leader (its lease lapsed, a takeover under way) the answer is 503 NOT_LEADER, to retry.
 * The refusal's details name the leader: `{ error: { code: 'NOT_LEADER', details: [{ leader }] } }`.
 */
export function registerStandbyGate(app: FastifyInstance, o: StandbyGateOptions): (req: FastifyRequest) => boolean {
  // What the gate answered (forwarded or refused) is not this master's to audit: the leader audits it.
  const answered = new WeakSet<FastifyRequest>();
  const agent = new Agent({ keepAlive: true, ...o.tls });
  // A request forwarded to a master that no longer leads (paused, cut off, dead) could wait on it
  // forever: once the lease names another leader, or none, it is cut (its client asks again).
  const inFlight = new Map<ClientRequest, string>();
  const sweep = setInterval(() => {
    const now = o.leading() ? undefined : o.leader()?.url;
    for (const [up, url] of inFlight) if (url !== now) up.destroy(new Error('the leader changed'));
  }, 500);
  sweep.unref();
  app.addHook('onClose', async () => {
    clearInterval(sweep);
    agent.destroy();
  });
  app.addHook('onRequest', async (req, reply) => {
    if (o.leading()) return;
    const path = req.url.split('?')[0];
    if (!path.startsWith('/api/') || LOCAL.has(path)) return;
    const leader = o.leader();
    answered.add(req);
    if (!leader && o.storeUnreachable?.())
      return reply
        .code(503)
        .header('retry-after', '1')
        .send(errorBody(storeUnavailable('no master can lead without it')));
    if (!leader || NODE_CHANNEL.test(path) || req.headers[FORWARDED_HEADER] !== undefined)
      return notLeader(reply, leader);
    const up = forward(req, reply, leader, agent, o.id ?? '');
    inFlight.set(up, leader.url);
    up.once('close', () => inFlight.delete(up));
    return reply;
  });
  return (req) => answered.has(req);
}

function notLeader(reply: FastifyReply, leader: LeaderSeen | undefined): FastifyReply {
  const message = leader
    ? `this master is a standby: master ${leader.id} leads (${leader.url})`
    : 'no master leads the farm right now (a takeover is under way): try again in a second';
  return (
    reply
      .code(503)
      .header('retry-after', '1')
      // Clients that may ask another master (LocalFarm, scripts) tell this refusal from an answer.
      .header(NOT_LEADER_HEADER, leader?.id ?? '')
      .send(errorBody(new VigilError('NOT_LEADER', message, 503, leader ? [{ leader }] : [])))
  );
}

/** Streams the request to the leader and its answer back; the client going away ends both. */
function forward(
  req: FastifyRequest,
  reply: FastifyReply,
  leader: LeaderSeen,
  agent: Agent,
  by: string,
): ClientRequest {
  reply.hijack();
  const headers: Record<string, string | string[]> = {};
  for (const [k, v] of Object.entries(req.headers)) if (v !== undefined && !HOP.has(k)) headers[k] = v;
  // The leader believes the last address only, and only from a master (api/client-address.ts).
  const prior = req.headers['x-forwarded-for'];
  headers['x-forwarded-for'] = prior ? `${prior}, ${req.ip}` : req.ip;
  headers[FORWARDED_HEADER] = by || 'standby';
  const target = new URL(req.raw.url ?? '/', leader.url);
  const up = httpsRequest(target, { method: req.method, headers, agent }, (res) => {
    const out: Record<string, string | string[]> = {};
    for (const [k, v] of Object.entries(res.headers)) if (v !== undefined && !HOP.has(k)) out[k] = v;
    reply.raw.writeHead(res.statusCode ?? 502, out);
    res.pipe(reply.raw);
    res.on('error', () => reply.raw.destroy());
  });
  up.on('error', (err) => {
    if (reply.raw.headersSent) {
      reply.raw.destroy();
      return;
    }
    reply.raw.writeHead(502, { 'content-type': 'application/json; charset=utf-8' });
    const message = `this master is a standby and the leader (${leader.id}, ${leader.url}) did not answer: ${err.message}`;
    reply.raw.end(JSON.stringify(errorBody(new VigilError('LEADER_UNREACHABLE', message))));
  });
  up.on('socket', (socket) => {
    if (!socket.connecting) return; // a kept-alive connection
    const late = setTimeout(() => up.destroy(new Error(`no connection within ${CONNECT_MS} ms`)), CONNECT_MS);
    socket.once('connect', () => clearTimeout(late));
    socket.once('close', () => clearTimeout(late));
  });
  reply.raw.on('close', () => up.destroy());
  req.raw.pipe(up);
  return up;
}
