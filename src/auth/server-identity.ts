import type { FastifyRequest } from 'fastify';
import { VigilError } from '../lib/errors.ts';
import type { Store } from '../store/store.ts';
import { verifiedPeer } from './peer-identity.ts';

/** Finds the enrolled server that made a request by its TLS client certificate; undefined for anyone else. */
export type IdentifyServer = (req: FastifyRequest) => Promise<string | undefined>;

/**
 * The servers' enrolled identities as the master checks them: a request's client certificate must
 * have verified against the farm CA, name `urn:vigil:server:<id>`, and be the certificate `<id>`
 * enrolled last (its fingerprint in the store). Fingerprints are cached; the store is the truth,
 * and an enrollment makes the cache forget the server.
 */
export class ServerIdentities {
  private readonly cache = new Map<string, string | null>();

  constructor(private readonly store: Pick<Store, 'serverFingerprint'>) {}

  /** identifyServer(req): the id of the enrolled server whose certificate made the request. */
  readonly identify: IdentifyServer = async (req) => {
    const peer = verifiedPeer(req.raw.socket);
    if (peer?.identity.kind !== 'server') return undefined;
    const { server } = peer.identity;
    let enrolled = this.cache.get(server);
    if (enrolled === undefined) {
      enrolled = (await this.store.serverFingerprint(server)) ?? null;
      this.cache.set(server, enrolled);
    }
    return enrolled === peer.fingerprint ? server : undefined;
  };

  /** Drops what is cached of `server` (it enrolled again). */
  forget(server: string): void {
    this.cache.delete(server);
  }
}

/**
 * An onRequest hook for the node channel (routes with `:id`): only the enrolled server `:id`
 * itself, by its certificate; 401 without one, 403 for another server. Runs before the body is read.
 * (Stands in until the one authentication hook, which takes identifyServer, guards every route.)
 */
export function serverSelf(identify: IdentifyServer): (req: FastifyRequest) => Promise<void> {
  return async (req) => {
    const server = await identify(req);
    if (!server) throw new VigilError('UNAUTHORIZED', "the node channel needs an enrolled server's certificate");
    const { id } = req.params as { id?: string };
    if (server !== id) throw new VigilError('FORBIDDEN', `server ${server} may not speak for server ${id}`);
    req.principal = { kind: 'server', server };
  };
}
