import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createSocket } from 'node:dgram';
import { Heartbeat } from './heartbeat.ts';
import { encodeAlive } from './alive-codec.ts';
import { createLogger } from '../lib/log.ts';
import { setTimeout as delay } from 'node:timers/promises';

const log = createLogger('test', 'silent');
const key = Buffer.from('k');
const settings = { aliveIntervalMs: 50, missedMs: 300, startDelayMs: 0, sockTimeoutMs: 1500 };

test('two servers hear each other over real UDP; a silenced one is suspected; junk is counted, never an Alive', async (t) => {
  const seen: string[][] = [];
  const a = new Heartbeat({
    selfId: 'a',
    key,
    host: '127.0.0.1',
    port: 0,
    settings,
    log,
    onSuspects: (s) => seen.push(s),
  });
  const b = new Heartbeat({ selfId: 'b', key, host: '127.0.0.1', port: 0, settings, log });
  const forger = createSocket('udp4');
  t.after(async () => {
    await a.close();
    await b.close();
    forger.close();
  });
  await a.start();
  await b.start();
  a.setBuddies([{ id: 'b', host: '127.0.0.1', port: b.port }]);
  b.setBuddies([{ id: 'a', host: '127.0.0.1', port: a.port }]);
  await delay(400);
  assert.deepEqual(a.suspects(), []);
  assert.ok(a.counters.accepted >= 4);

  // A captured, correctly signed Alive sent again and again counts once at most, then as replays.
  const captured = encodeAlive({ sender: 'b', bootId: Buffer.alloc(16, 9), seq: 1n, sentAt: Date.now() }, key);
  for (let i = 0; i < 3; i++) forger.send(captured, a.port, '127.0.0.1');
  await delay(100);
  assert.ok(a.counters.dropped.replay >= 2, `replays counted: ${JSON.stringify(a.counters)}`);

  await b.close();
  // While b is silent, a forger keeps sending junk and Alives in b's name signed with a wrong key.
  const send = (buf: Buffer) => forger.send(buf, a.port, '127.0.0.1');
  const timer = setInterval(() => {
    send(Buffer.from('garbage'));
    send(encodeAlive({ sender: 'b', bootId: Buffer.alloc(16), seq: 1n, sentAt: Date.now() }, Buffer.from('wrong')));
  }, 30);
  await delay(500);
  clearInterval(timer);
  assert.deepEqual(a.suspects(), ['b']);
  assert.deepEqual(seen.at(-1), ['b']);
  assert.ok(a.counters.dropped.malformed > 0);
  assert.ok(a.counters.dropped['bad-mac'] > 0);
});
