import type { FastifyRequest } from 'fastify';
import { NODE_CHANNEL_ROUTES } from '../protocol/node-channel.ts';
import { bearerMatches } from '../lib/http/bearer-auth.ts';

/**
 * LEGACY — removed when per-server identity (enrollment and client certificates, issue 10's
 * pki-tls part) is merged: its `identifyServer` takes this one's place in master.ts.
 *
 * Until then nodes still send the farm-key-derived token; on the node channel only, it is taken
 * as the server named in the URL. That is no per-server identity (any holder of the farm key may
 * speak for any server), which is exactly what the certificates end. Anywhere else it opens nothing.
 */
export function legacyNodeToken(farmApiToken: Buffer): (req: FastifyRequest) => Promise<string | undefined> {
  const channel = new Set<string>(Object.values(NODE_CHANNEL_ROUTES));
  return async (req) => {
    if (!channel.has(req.routeOptions.url ?? '')) return undefined;
    if (!bearerMatches(req.headers.authorization, farmApiToken)) return undefined;
    return (req.params as { id?: string }).id;
  };
}
