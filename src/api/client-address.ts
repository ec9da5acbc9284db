import type { FastifyRequest } from 'fastify';
import { verifiedPeer } from '../auth/peer-identity.ts';

/**
 * The address of whoever sent a request: the connection's own, or, when that connection is another
 * master's (its farm certificate verified: a standby forwarding a person's request), the last address
 * its x-forwarded-for names, the one that standby saw. The header of anyone else is not believed, so
 * no client picks its own address for the audit log or the login throttle.
 */
export function clientAddress(req: FastifyRequest): string {
  const forwarded = req.headers['x-forwarded-for'];
  if (typeof forwarded === 'string' && verifiedPeer(req.raw.socket)?.identity.kind === 'master') {
    const last = forwarded.split(',').at(-1)?.trim();
    if (last) return last;
  }
  return req.ip;
}
