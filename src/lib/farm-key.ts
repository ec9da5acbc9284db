import { randomBytes } from 'node:crypto';
import { readSecretFile } from './secret-file.ts';

/** The least a farm key must hold: 32 random bytes (256 bits), the size of the HMAC-SHA256 keys derived from it. */
export const FARM_KEY_MIN_BYTES = 32;

const HINT = 'make one with `vigil keygen` (32 random bytes, hex)';

/**
 * Checks the text of a farm key and returns it as the key's bytes. It must be the hex (64+ digits)
 * or base64 / base64url (43+ characters, padding aside) encoding of at least 32 bytes, and not an
 * obvious non-random one (too few distinct characters).
 * The text itself stays the HMAC key, as before, so keys derived from an accepted key do not change.
 * `source` names where it came from in the error, which never holds the key.
 */
export function parseFarmKey(text: string, source: string): Buffer {
  const key = text.trim();
  const weak = (why: string) => new Error(`the farm key from ${source} is refused: ${why}; ${HINT}`);
  if (!key) throw weak('it is empty');
  // Hex is case-blind; base64 is not. A random key of the least length has ~16 (hex) or ~32 (base64) distinct characters.
  let bytes: number;
  let distinct: number;
  let minDistinct: number;
  if (/^[0-9a-fA-F]+$/.test(key) && key.length % 2 === 0) {
    bytes = key.length / 2;
    distinct = new Set(key.toLowerCase()).size;
    minDistinct = 8;
  } else if (/^[A-Za-z0-9+/]+={0,2}$/.test(key) || /^[A-Za-z0-9_-]+$/.test(key)) {
    bytes = Math.floor((key.replace(/=+$/, '').length * 3) / 4);
    distinct = new Set(key).size;
    minDistinct = 16;
  } else {
    throw weak('it is neither hex nor base64 (a passphrase is not a key)');
  }
  if (bytes < FARM_KEY_MIN_BYTES)
    throw weak(`it holds ${bytes} bytes, at least ${FARM_KEY_MIN_BYTES} are needed (64 hex or 44 base64 characters)`);
  if (distinct < minDistinct) throw weak('it does not look random (too few distinct characters)');
  return Buffer.from(key);
}

/** A new farm key: 32 random bytes, hex. */
export function newFarmKey(): string {
  return randomBytes(FARM_KEY_MIN_BYTES).toString('hex');
}

/**
 * The farm key: the contents of `keyFile` (refused when other users may read it, see readSecretFile)
 * or else $VIGIL_FARM_KEY, checked for strength either way.
 */
export function loadFarmKey(keyFile?: string, env: string | undefined = process.env.VIGIL_FARM_KEY): Buffer {
  if (keyFile) return parseFarmKey(readSecretFile(keyFile), keyFile);
  if (!env) throw new Error(`no farm key: set VIGIL_FARM_KEY or pass --key-file; ${HINT}`);
  return parseFarmKey(env, 'VIGIL_FARM_KEY');
}
