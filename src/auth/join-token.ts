import { createHash, randomBytes } from 'node:crypto';

/** How long a join token may be used: an hour to start the node it was made for. */
export const JOIN_TOKEN_TTL_MS = 3_600_000;

const FORMAT = /^vj1_([A-Za-z0-9_-]{43})_([0-9a-f]{64})$/;

/**
 * A new one-time join token, `vj1_<secret>_<CA fingerprint>`: the secret lets one server enroll
 * once; the fingerprint lets the node check it talks to this farm's master before it sends the
 * secret. Only the secret's hash is kept.
 */
export function newJoinToken(caFingerprint: string): { token: string; hash: string } {
  const secret = randomBytes(32).toString('base64url');
  return { token: `vj1_${secret}_${caFingerprint}`, hash: secretHash(secret) };
}

/** A join token's parts (its secret's hash and the CA fingerprint it names); undefined when it is not one. Pure. */
export function parseJoinToken(token: string): { hash: string; caFingerprint: string } | undefined {
  const m = FORMAT.exec(token.trim());
  return m ? { hash: secretHash(m[1]), caFingerprint: m[2] } : undefined;
}

function secretHash(secret: string): string {
  return createHash('sha256').update(secret).digest('hex');
}
