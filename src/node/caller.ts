import type { FastifyRequest } from 'fastify';
import { verifiedPeer } from '../auth/peer-identity.ts';

/**
 * The id of the recording server that makes a request to this node's API: the server its verified
 * client certificate (mutual TLS, chained to the farm CA) names; undefined for the master, or a
 * connection without such a certificate. Nothing the caller sends but its certificate counts; the
 * rule it feeds (mayRelease) and the route's check stay as they are.
 */
export function callerServerId(req: FastifyRequest): string | undefined {
  const peer = verifiedPeer(req.raw.socket);
  return peer?.identity.kind === 'server' ? peer.identity.server : undefined;
}
