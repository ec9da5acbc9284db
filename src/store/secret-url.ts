import { createCipheriv, createDecipheriv, createHmac, randomBytes } from 'node:crypto';
import { VigilError } from '../lib/errors.ts';
import { passwordSpan } from '../lib/redact.ts';

/** What marks a sealed password inside a stored URL: `rtsp://admin:enc:v1:<base64url>@host/x`. */
const SEALED = 'enc:v1:';
/** Bound to every sealed password, so a ciphertext made for something else never opens as one. */
const AAD = Buffer.from('vigil camera url password');
const NONCE_BYTES = 12;
const TAG_BYTES = 16;

/** The key of the store's secrets at rest: HMAC-SHA256(farmKey, 'vigil store secrets v1'); only the master holds it. */
export function storeSecretKey(farmKey: Buffer): Buffer {
  return createHmac('sha256', farmKey).update('vigil store secrets v1').digest();
}

/** Whether a stored URL's password is sealed. */
export function isSealed(url: string): boolean {
  const span = passwordSpan(url);
  return !!span && url.startsWith(SEALED, span.start);
}

/**
 * The URL as the store keeps it: its password (as written, percent-encoding and all) replaced by
 * `enc:v1:` and base64url(nonce ‖ AES-256-GCM ciphertext ‖ tag), a fresh random nonce each time;
 * the rest stays readable (host, path) for whoever looks at the rows. A URL without a password
 * is kept as it is. Without a key a password cannot be stored: refused (INTERNAL), never kept plain.
 */
export function sealUrl(url: string, key: Buffer | undefined): string {
  const span = passwordSpan(url);
  if (!span || url.startsWith(SEALED, span.start)) return url;
  if (!key)
    throw new VigilError('INTERNAL', 'the store was opened without the farm key: it cannot keep camera passwords');
  const nonce = randomBytes(NONCE_BYTES);
  const cipher = createCipheriv('aes-256-gcm', key, nonce).setAAD(AAD);
  const body = Buffer.concat([cipher.update(url.slice(span.start, span.end), 'utf8'), cipher.final()]);
  const sealed = Buffer.concat([nonce, body, cipher.getAuthTag()]).toString('base64url');
  return `${url.slice(0, span.start)}${SEALED}${sealed}${url.slice(span.end)}`;
}

/**
 * The URL as configured, from the store's row: a sealed password is opened; a plain one (a row
 * of an older version, until it is sealed at the next open) is read as it is. A password sealed
 * with another key, or altered, is refused with an error naming `what` (never the URL).
 */
export function openUrl(url: string, key: Buffer | undefined, what: string): string {
  const span = passwordSpan(url);
  if (!span || !url.startsWith(SEALED, span.start)) return url;
  if (!key)
    throw new VigilError(
      'INTERNAL',
      `${what}: the store was opened without the farm key, so its password cannot be read`,
    );
  const raw = Buffer.from(url.slice(span.start + SEALED.length, span.end), 'base64url');
  try {
    if (raw.length < NONCE_BYTES + TAG_BYTES) throw new Error('too short');
    const decipher = createDecipheriv('aes-256-gcm', key, raw.subarray(0, NONCE_BYTES)).setAAD(AAD);
    decipher.setAuthTag(raw.subarray(raw.length - TAG_BYTES));
    const plain = Buffer.concat([decipher.update(raw.subarray(NONCE_BYTES, raw.length - TAG_BYTES)), decipher.final()]);
    return `${url.slice(0, span.start)}${plain.toString('utf8')}${url.slice(span.end)}`;
  } catch {
    throw new VigilError(
      'INTERNAL',
      `${what}: its stored password does not open with this farm key (the store was written with another key, or altered): start the master with the farm key the store was written with`,
    );
  }
}
