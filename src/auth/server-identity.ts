import type { FastifyRequest } from 'fastify';
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
