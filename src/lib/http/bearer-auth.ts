import { timingSafeEqual } from 'node:crypto';
import type { FastifyRequest } from 'fastify';
import { VigilError } from '../errors.ts';

/** Whether an Authorization header carries `Bearer <token>`, compared in constant time. */
export function bearerMatches(header: string | undefined, token: Buffer): boolean {
  const got = Buffer.from(String(header ?? '').replace(/^Bearer /, ''));
  return got.length === token.length && timingSafeEqual(got, token);
}

/**
 * An onRequest hook that refuses a request without the bearer token (401 UNAUTHORIZED), before its
 * body is read: an unauthenticated client cannot make the server take in a large or slow body.
 * `what` names the token in the answer ("farm key", "API token").
 */
export function bearerAuth(token: Buffer, what: string): (req: FastifyRequest) => Promise<void> {
  return async (req) => {
    if (!bearerMatches(req.headers.authorization, token))
      throw new VigilError('UNAUTHORIZED', `missing or wrong ${what}`);
  };
}
