import { randomBytes, scrypt, timingSafeEqual, type ScryptOptions } from 'node:crypto';

/**
 * scrypt's cost: 2^15 × 8 × 128 bytes = 32 MiB of memory and some 50–100 ms of one core per hash,
 * so a stolen store is slow to attack on GPUs, and a login stays quick for a person.
 */
const COST = { N: 2 ** 15, r: 8, p: 1 } as const;
const KEY_BYTES = 32;
const SALT_BYTES = 16;
/** Node refuses scrypt above 32 MiB unless told more; room for the parameters a stored hash may carry. */
const MAX_MEM = 256 * 1024 * 1024;
/** Bounds on what a stored hash may ask for: a tampered row must not make one login take the machine. */
const LIMITS = { N: 2 ** 20, r: 16, p: 4 };
/** Shortest password accepted. */
export const MIN_PASSWORD_LENGTH = 12;
/** Longest password accepted (scrypt takes any length; a bound keeps request bodies small). */
export const MAX_PASSWORD_LENGTH = 1024;

function derive(password: string, salt: Buffer, o: ScryptOptions & { N: number }): Promise<Buffer> {
  return new Promise((resolve, reject) =>
    scrypt(password.normalize('NFC'), salt, KEY_BYTES, { ...o, maxmem: MAX_MEM }, (err, key) =>
      err ? reject(err) : resolve(key),
    ),
  );
}

/** A password's scrypt hash with a fresh salt, encoded `scrypt$N$r$p$<salt>$<hash>` (base64url), as the store keeps it. */
export async function hashPassword(password: string): Promise<string> {
  const salt = randomBytes(SALT_BYTES);
  const key = await derive(password, salt, COST);
  return ['scrypt', COST.N, COST.r, COST.p, salt.toString('base64url'), key.toString('base64url')].join('$');
}

/**
 * Whether `password` is the one `encoded` was made from, compared in constant time. A malformed
 * hash (or one asking for out-of-bounds costs) is false, after the same work as a real one.
 */
export async function verifyPassword(password: string, encoded: string): Promise<boolean> {
  const parts = encoded.split('$');
  const [N, r, p] = parts.slice(1, 4).map(Number);
  const wellFormed =
    parts.length === 6 &&
    parts[0] === 'scrypt' &&
    Number.isInteger(N) &&
    N > 1 &&
    (N & (N - 1)) === 0 &&
    N <= LIMITS.N &&
    Number.isInteger(r) &&
    r >= 1 &&
    r <= LIMITS.r &&
    Number.isInteger(p) &&
    p >= 1 &&
    p <= LIMITS.p;
  if (!wellFormed) {
    await derive(password, randomBytes(SALT_BYTES), COST);
    return false;
  }
  const want = Buffer.from(parts[5], 'base64url');
  const got = await derive(password, Buffer.from(parts[4], 'base64url'), { N, r, p });
  return want.length === got.length && timingSafeEqual(want, got);
}

let dummy: Promise<string> | undefined;
/**
 * A hash of no one's password, verified in place of an unknown user's so that "no such user" takes
 * as long as "wrong password" (the answer must not tell which user names exist).
 */
export function dummyHash(): Promise<string> {
  dummy ??= hashPassword(randomBytes(18).toString('base64url'));
  return dummy;
}

/** What is wrong with a new password for `user` (empty when it is accepted): the policy, every problem named. */
export function passwordProblems(password: string, user: string): string[] {
  const problems: string[] = [];
  const length = [...password].length;
  if (length < MIN_PASSWORD_LENGTH) problems.push(`a password needs at least ${MIN_PASSWORD_LENGTH} characters`);
  if (length > MAX_PASSWORD_LENGTH) problems.push(`a password has at most ${MAX_PASSWORD_LENGTH} characters`);
  // A name of 4 characters or more is refused inside the password too ("alice2024alice!"); a short
  // one only as the whole of it, or most passwords would contain it by chance.
  const p = password.trim().toLowerCase();
  const u = user.toLowerCase();
  if (u && (p === u || (u.length >= 4 && p.includes(u)))) problems.push('a password must not contain the user name');
  return problems;
}
