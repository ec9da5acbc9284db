import { createHash, randomBytes } from 'node:crypto';

/** What a bearer secret opens: an API token (`vt_…`, for scripts) or a login session (`vs_…`). */
export type SecretKind = 'token' | 'session';

const PREFIX: Record<SecretKind, string> = { token: 'vt_', session: 'vs_' };
/** 32 random bytes in base64url: 43 characters after the prefix. */
const SECRET = /^v[ts]_[A-Za-z0-9_-]{43}$/;

/** A new random secret of a kind (256 bits). Shown once to its holder; the store keeps only its hash. */
export function newSecret(kind: SecretKind): string {
  return PREFIX[kind] + randomBytes(32).toString('base64url');
}

/**
 * The SHA-256 of a secret (hex), what the store keeps and looks up. A plain hash is enough: the
 * secret is 256 random bits (no dictionary to try), and a stolen store then opens nothing.
 */
export function secretHash(secret: string): string {
  return createHash('sha256').update(secret).digest('hex');
}

/** The kind of a well-formed secret; undefined for anything else (a farm token, garbage). */
export function secretKind(secret: string): SecretKind | undefined {
  if (!SECRET.test(secret)) return undefined;
  return secret.startsWith('vt_') ? 'token' : 'session';
}
