import { VigilError } from '../lib/errors.ts';
import type { Store } from '../store/store.ts';
import type { FarmCa } from './farm-ca.ts';
import { JOIN_TOKEN_TTL_MS, newJoinToken, parseJoinToken } from './join-token.ts';
import { fingerprint } from './x509.ts';

/** An invitation to enroll: the one-time token and when it expires (epoch ms). */
export interface JoinInvite {
  server: string;
  joinToken: string;
  expiresAt: number;
}

/** What an enrolled server gets: its certificate and the farm CA's, PEM. */
export interface Enrolled {
  certificate: string;
  ca: string;
}

/** What enrollment uses: the store, the CA, the configuration, and who must forget a replaced certificate. */
export interface EnrollmentDeps {
  store: Pick<Store, 'addJoinToken' | 'useJoinToken' | 'setServerIdentity'>;
  ca: FarmCa;
  /** Whether `server` is in the farm configuration: only those are invited and enrolled. */
  configured: (server: string) => boolean;
  /** Called once `server`'s new certificate is recorded (its old one is refused from now on). */
  onEnrolled?: (server: string) => void;
  now?: () => number;
}

/**
 * Enrollment of a recording server: an admin invites it (a one-time join token, valid an hour);
 * its node sends the token with a CSR and gets its certificate signed by the farm CA. Each
 * enrollment replaces the server's recorded certificate fingerprint.
 */
export class Enrollment {
  constructor(private readonly d: EnrollmentDeps) {}

  /** A join token for a configured server; its earlier unused ones stop working. */
  async invite(server: string): Promise<JoinInvite> {
    if (!this.d.configured(server))
      throw new VigilError('NOT_FOUND', `no server ${server} in the farm configuration`, 404);
    const now = this.now();
    const { token, hash } = newJoinToken(this.d.ca.fingerprint);
    const expiresAt = now + JOIN_TOKEN_TTL_MS;
    await this.d.store.addJoinToken({ hash, server, expiresAt }, now);
    return { server, joinToken: token, expiresAt };
  }

  /**
   * Exchanges a join token and a CSR for the server's certificate. The CSR is checked first, so a
   * bad request does not spend the token; a token that is unknown, of another server, used or
   * expired is 401, alike (nothing tells which).
   */
  async enroll(r: { server: string; joinToken: string; csr: string }): Promise<Enrolled> {
    const parsed = parseJoinToken(r.joinToken);
    if (!parsed || parsed.caFingerprint !== this.d.ca.fingerprint) throw badToken();
    if (!this.d.configured(r.server))
      throw new VigilError('NOT_FOUND', `no server ${r.server} in the farm configuration`, 404);
    const certificate = await this.d.ca.issueServer(r.server, r.csr);
    const now = this.now();
    if (!(await this.d.store.useJoinToken(parsed.hash, r.server, now))) throw badToken();
    await this.d.store.setServerIdentity(r.server, fingerprint(certificate), now);
    this.d.onEnrolled?.(r.server);
    return { certificate, ca: this.d.ca.caPem };
  }

  private now(): number {
    return this.d.now?.() ?? Date.now();
  }
}

function badToken(): VigilError {
  return new VigilError(
    'UNAUTHORIZED',
    'join token unknown, used, expired or not for this server: make a new one with `vigil server enroll <id>`',
  );
}
