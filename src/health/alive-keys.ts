import { createHmac } from 'node:crypto';

/** Label of the Alive key derivation; a new datagram version that changes the MAC changes it. */
const LABEL = 'vigil alive v2';

/**
 * The key `from` signs its Alive datagrams to `to` with, and `to` checks them with:
 * HMAC-SHA256(HMAC-SHA256(farmKey, 'vigil alive v2'), from + '\n' + to). One key per ordered pair,
 * so a server holds only the keys of the pairs it is part of, and cannot sign for another sender.
 * Server ids never hold a newline (the configuration's id pattern), so no two pairs share a key. Pure.
 */
export function aliveKey(farmKey: Buffer, from: string, to: string): Buffer {
  return aliveKeyring(farmKey)(from, to);
}

/** The master's source of Alive keys, the farm key held in the closure only: `(from, to) => aliveKey(farmKey, from, to)`. */
export function aliveKeyring(farmKey: Buffer): (from: string, to: string) => Buffer {
  const root = createHmac('sha256', farmKey).update(LABEL).digest();
  return (from, to) => createHmac('sha256', root).update(`${from}\n${to}`).digest();
}

/** The Alive keys of one server, by the other server of each pair. */
export interface AliveKeys {
  /** Keys this server signs with, by recipient (its buddies). */
  send: ReadonlyMap<string, Buffer>;
  /** Keys this server checks with, by sender (the buddies it watches). */
  receive: ReadonlyMap<string, Buffer>;
}

/** The keys as an assignment carries them (hex, by server id), as Buffers. Pure. */
export function aliveKeysFromHex(alive: { send: Record<string, string>; receive: Record<string, string> }): AliveKeys {
  const map = (r: Record<string, string>) =>
    new Map(Object.entries(r).map(([id, hex]) => [id, Buffer.from(hex, 'hex')]));
  return { send: map(alive.send), receive: map(alive.receive) };
}

/** The keys of `self` for its buddies, as the master puts them in its assignment (hex). Pure. */
export function aliveKeysFor(
  keyOf: (from: string, to: string) => Buffer,
  self: string,
  buddies: readonly string[],
): { send: Record<string, string>; receive: Record<string, string> } {
  return {
    send: Object.fromEntries(buddies.map((b) => [b, keyOf(self, b).toString('hex')])),
    receive: Object.fromEntries(buddies.map((b) => [b, keyOf(b, self).toString('hex')])),
  };
}
