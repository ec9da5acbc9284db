import type { FastifyInstance } from 'fastify';
import { NodeChain } from '../protocol/chain-link.ts';
import { NODE_ROUTES, RangeQuery } from '../protocol/node-api.ts';
import type { SegmentChain } from '../storage/segment-chain.ts';
import { listingRange } from './node-playback-routes.ts';

/** What the chain route uses of the node. */
export interface ChainRouteDeps {
  server: string;
  chain: SegmentChain;
  /** This server's certificate (PEM): the verifier checks it against the farm CA and the links against it. */
  certificate: string;
}

/** GET /node/v1/chain: the master's export asks for the links that vouch for a range's footage. */
export function registerChainRoute(app: FastifyInstance, d: ChainRouteDeps): void {
  app.get(NODE_ROUTES.chain, { schema: { querystring: RangeQuery, response: { 200: NodeChain } } }, async (req) => {
    const q = listingRange(req.query);
    return {
      server: d.server,
      certificate: d.certificate,
      links: d.chain.range(q.camera, q.stream ?? 0, q.from, q.to),
    };
  });
}
