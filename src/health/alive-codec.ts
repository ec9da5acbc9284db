import { createHmac, timingSafeEqual } from 'node:crypto';

/**
 * The Alive datagram a recording server sends each buddy every AliveIntervalMs.
 * Layout (v2): "VGA2" | senderLen u8 | sender utf8 | recipientLen u8 | recipient utf8 | bootId 16 bytes
 * | seq u64 BE | sentAt u64 BE (ms) | HMAC-SHA256 32 bytes. The HMAC covers everything before it and
 * is keyed with the pair's key (aliveKey(farmKey, sender, recipient)): naming the recipient inside
 * the MAC keeps a datagram sent to one buddy from being replayed to another.
 */
export interface Alive {
  sender: string;
  recipient: string;
  bootId: Buffer; // 16 random bytes, new at each process start
  seq: bigint;
  sentAt: number;
}

/** Why a datagram is not an Alive of a known sender to this server, before the buddy watch judges it. */
export type DecodeRefusal = 'malformed' | 'wrong-recipient' | 'unknown-sender' | 'bad-mac';

/** The outcome of decoding: an authenticated Alive, or why not. */
export type DecodeResult = { ok: true; alive: Alive } | { ok: false; reason: DecodeRefusal };

const MAGIC = Buffer.from('VGA2');
const MAC_LEN = 32;
const BOOT_LEN = 16;

/** Encodes an Alive datagram and appends its HMAC under the key of the pair (sender, recipient). */
export function encodeAlive(a: Alive, key: Buffer): Buffer {
  const sender = idBytes(a.sender, 'sender');
  const recipient = idBytes(a.recipient, 'recipient');
  if (a.bootId.length !== BOOT_LEN) throw new Error('boot id must be 16 bytes');
  const body = Buffer.alloc(4 + 1 + sender.length + 1 + recipient.length + BOOT_LEN + 16);
  let o = MAGIC.copy(body, 0);
  o = body.writeUInt8(sender.length, o);
  o += sender.copy(body, o);
  o = body.writeUInt8(recipient.length, o);
  o += recipient.copy(body, o);
  o += a.bootId.copy(body, o);
  o = body.writeBigUInt64BE(a.seq, o);
  body.writeBigUInt64BE(BigInt(a.sentAt), o);
  return Buffer.concat([body, mac(body, key)]);
}

/**
 * Checks shape, recipient and HMAC, in that order; a datagram that fails any is never an Alive.
 * `self` is this server's id; `keyOf(sender)` the key this server holds for Alives from that sender
 * (undefined: it watches no such sender). The unauthenticated names only choose the key: nothing
 * of the datagram is believed before its MAC is checked.
 */
export function decodeAlive(buf: Buffer, self: string, keyOf: (sender: string) => Buffer | undefined): DecodeResult {
  const fixed = BOOT_LEN + 16;
  if (buf.length < 4 + 1 + 1 + 1 + 1 + fixed + MAC_LEN || !buf.subarray(0, 4).equals(MAGIC))
    return { ok: false, reason: 'malformed' };
  const senderLen = buf.readUInt8(4);
  const recipientAt = 5 + senderLen;
  if (senderLen === 0 || recipientAt >= buf.length) return { ok: false, reason: 'malformed' };
  const recipientLen = buf.readUInt8(recipientAt);
  const bodyLen = recipientAt + 1 + recipientLen + fixed;
  if (recipientLen === 0 || buf.length !== bodyLen + MAC_LEN) return { ok: false, reason: 'malformed' };
  const body = buf.subarray(0, bodyLen);
  const sender = body.toString('utf8', 5, recipientAt);
  const recipient = body.toString('utf8', recipientAt + 1, recipientAt + 1 + recipientLen);
  if (recipient !== self) return { ok: false, reason: 'wrong-recipient' };
  const key = keyOf(sender);
  if (!key) return { ok: false, reason: 'unknown-sender' };
  if (!timingSafeEqual(mac(body, key), buf.subarray(bodyLen))) return { ok: false, reason: 'bad-mac' };
  const o = recipientAt + 1 + recipientLen;
  const bootId = Buffer.from(body.subarray(o, o + BOOT_LEN));
  const seq = body.readBigUInt64BE(o + BOOT_LEN);
  const sentAt = Number(body.readBigUInt64BE(o + BOOT_LEN + 8));
  return { ok: true, alive: { sender, recipient, bootId, seq, sentAt } };
}

function idBytes(id: string, what: string): Buffer {
  const b = Buffer.from(id, 'utf8');
  if (b.length === 0 || b.length > 255) throw new Error(`${what} id must be 1..255 bytes`);
  return b;
}

function mac(body: Buffer, key: Buffer): Buffer {
  return createHmac('sha256', key).update(body).digest();
}
