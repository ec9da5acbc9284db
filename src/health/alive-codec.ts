import { createHmac, timingSafeEqual } from 'node:crypto';

/**
 * The Alive datagram a recording server sends each buddy every AliveIntervalMs.
 * Layout: "VGA1" | senderLen u8 | sender utf8 | bootId 16 bytes | seq u64 BE | sentAt u64 BE (ms) | HMAC-SHA256 32 bytes.
 * The HMAC, keyed with the farm key, covers everything before it.
 */
export interface Alive {
  sender: string;
  bootId: Buffer; // 16 random bytes, new at each process start
  seq: bigint;
  sentAt: number;
}

const MAGIC = Buffer.from('VGA1');
const MAC_LEN = 32;
const BOOT_LEN = 16;

/** Encodes an Alive datagram and appends its HMAC under the farm key. */
export function encodeAlive(a: Alive, key: Buffer): Buffer {
  const sender = Buffer.from(a.sender, 'utf8');
  if (sender.length === 0 || sender.length > 255) throw new Error('sender id must be 1..255 bytes');
  if (a.bootId.length !== BOOT_LEN) throw new Error('boot id must be 16 bytes');
  const body = Buffer.alloc(4 + 1 + sender.length + BOOT_LEN + 16);
  let o = MAGIC.copy(body, 0);
  o = body.writeUInt8(sender.length, o);
  o += sender.copy(body, o);
  o += a.bootId.copy(body, o);
  o = body.writeBigUInt64BE(a.seq, o);
  body.writeBigUInt64BE(BigInt(a.sentAt), o);
  return Buffer.concat([body, mac(body, key)]);
}

export type DecodeResult = { ok: true; alive: Alive } | { ok: false; reason: 'malformed' | 'bad-mac' };

/** Checks shape and HMAC; a datagram that fails either is never an Alive. */
export function decodeAlive(buf: Buffer, key: Buffer): DecodeResult {
  const minLen = 4 + 1 + 1 + BOOT_LEN + 16 + MAC_LEN;
  if (buf.length < minLen || !buf.subarray(0, 4).equals(MAGIC)) return { ok: false, reason: 'malformed' };
  const senderLen = buf.readUInt8(4);
  const bodyLen = 5 + senderLen + BOOT_LEN + 16;
  if (senderLen === 0 || buf.length !== bodyLen + MAC_LEN) return { ok: false, reason: 'malformed' };
  const body = buf.subarray(0, bodyLen);
  if (!timingSafeEqual(mac(body, key), buf.subarray(bodyLen))) return { ok: false, reason: 'bad-mac' };
  let o = 5;
  const sender = body.toString('utf8', o, o + senderLen);
  o += senderLen;
  const bootId = Buffer.from(body.subarray(o, o + BOOT_LEN));
  o += BOOT_LEN;
  const seq = body.readBigUInt64BE(o);
  const sentAt = Number(body.readBigUInt64BE(o + 8));
  return { ok: true, alive: { sender, bootId, seq, sentAt } };
}

function mac(body: Buffer, key: Buffer): Buffer {
  return createHmac('sha256', key).update(body).digest();
}
