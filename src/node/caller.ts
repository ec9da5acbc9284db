import type { FastifyRequest } from 'fastify';
import { CALLER_HEADER } from '../protocol/node-api.ts';

/**
 * The id of the recording server that makes a request to this node's API; undefined when the
 * caller does not say it is one.
 *
 * STAND-IN until servers call each other over mutual TLS (issue 10, pki-tls): it reads the
 * CALLER_HEADER the caller's node client sets, which any client could set. That branch replaces
 * this body with the id of the caller's verified client certificate (its principal); the rule it
 * feeds (mayRelease) and the route's check stay as they are.
 */
export function callerServerId(req: FastifyRequest): string | undefined {
  const v = req.headers[CALLER_HEADER];
  return typeof v === 'string' && v !== '' ? v : undefined;
}
