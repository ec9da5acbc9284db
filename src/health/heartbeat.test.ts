import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createSocket } from 'node:dgram';
import { Heartbeat } from './heartbeat.ts';
import { encodeAlive } from './alive-codec.ts';
import { aliveKeyring, aliveKeysFor, aliveKeysFromHex } from './alive-keys.ts';
import { createLogger } from '../lib/log.ts';
import { setTimeout as delay } from 'node:timers/promises';

const log = createLogger('test', 'silent');
const ring = aliveKeyring(Buffer.from('k'));
const keysOf = (self: string, buddies: string[]) => aliveKeysFromHex(aliveKeysFor(ring, self, buddies));
const settings = { aliveIntervalMs: 50, missedMs: 300, startDelayMs: 0, sockTimeoutMs: 1500 };

/** Waits until `fn` holds, 5 s at most. */
async function until(fn: () => boolean, what: string): Promise<void> {
  for (const end = Date.now() + 5000; !fn(); await delay(10))
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
}

test('two servers hear each other over real UDP; a silenced one is suspected; forgeries are counted, never an Alive', async (t) => {
  const seen: string[][] = [];
  const a = new Heartbeat({ selfId: 'a', host: '127.0.0.1', port: 0, settings, log, onSuspects: (s) => seen.push(s) });
  const b = new Heartbeat({ selfId: 'b', host: '127.0.0.1', port: 0, settings, log });
  const forger = createSocket('udp4');
  t.after(async () => {
    await a.close();
    await b.close();
    forger.close();
  });
  await a.start();
  await b.start();
  a.setBuddies([{ id: 'b', host: '127.0.0.1', port: b.port }], keysOf('a', ['b']));
  b.setBuddies([{ id: 'a', host: '127.0.0.1', port: a.port }], keysOf('b', ['a']));
  await until(() => a.counters.accepted >= 4 && b.counters.accepted >= 4, 'both hear each other');
  assert.deepEqual(a.suspects(), []);

  const send = (buf: Buffer) => forger.send(buf, a.port, '127.0.0.1');
  const alive = (o: { sender?: string; recipient?: string; sentAt?: number; boot?: number }, key: Buffer) =>
    encodeAlive(
      {
        sender: o.sender ?? 'b',
        recipient: o.recipient ?? 'a',
        bootId: Buffer.alloc(16, o.boot ?? 9),
        seq: 1n,
        sentAt: o.sentAt ?? Date.now(),
      },
      key,
    );
  // A captured, correctly signed Alive sent again and again counts once at most, then as replays.
  const captured = alive({}, ring('b', 'a'));
  for (let i = 0; i < 3; i++) send(captured);
  await until(() => a.counters.dropped.replay >= 2, 'replays counted');

  await b.close();
  const before = { ...a.counters.dropped };
  // While b is silent, a forger keeps sending junk and Alives in b's name that a must not take.
  const timer = setInterval(() => {
    send(Buffer.from('garbage'));
    send(alive({ boot: 1 }, Buffer.from('wrong'))); // a wrong key
    send(alive({ boot: 2 }, ring('c', 'a'))); // another server's own key, posing as b
    send(alive({ boot: 3, recipient: 'c' }, ring('b', 'c'))); // b's genuine Alive to another recipient
    send(alive({ boot: 4, sender: 'c' }, ring('c', 'a'))); // a sender a does not watch
    send(alive({ boot: 5, sentAt: Date.now() - 3 * settings.missedMs - 500 }, ring('b', 'a'))); // too old
    send(alive({ boot: 6, sentAt: Date.now() + 3 * settings.missedMs + 500 }, ring('b', 'a'))); // from the future
  }, 30);
  await until(() => a.suspects().includes('b'), 'b suspected');
  await delay(100);
  clearInterval(timer);
  assert.deepEqual(a.suspects(), ['b']);
  assert.deepEqual(seen.at(-1), ['b']);
  const grew = (k: keyof typeof before) => a.counters.dropped[k] - before[k];
  assert.ok(grew('malformed') > 0, 'junk');
  assert.ok(grew('bad-mac') >= 2, 'wrong keys');
  assert.ok(grew('wrong-recipient') > 0, 'another recipient');
  assert.ok(grew('unknown-sender') > 0, 'a sender not watched');
  assert.ok(grew('stale') >= 2, 'old and future stamps');
});

test('a buddy whose keys the assignment lacks is neither sent to nor heard', async (t) => {
  const a = new Heartbeat({ selfId: 'a', host: '127.0.0.1', port: 0, settings, log });
  const b = new Heartbeat({ selfId: 'b', host: '127.0.0.1', port: 0, settings, log });
  t.after(async () => {
    await a.close();
    await b.close();
  });
  await a.start();
  await b.start();
  a.setBuddies([{ id: 'b', host: '127.0.0.1', port: b.port }], { send: new Map(), receive: new Map() });
  b.setBuddies([{ id: 'a', host: '127.0.0.1', port: a.port }], keysOf('b', ['a']));
  await until(() => a.counters.dropped['unknown-sender'] >= 3, "b's Alives dropped at a");
  assert.equal(a.counters.sent, 0);
  assert.equal(b.counters.accepted, 0);
});
