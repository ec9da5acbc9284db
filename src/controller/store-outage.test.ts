import { test } from 'node:test';
import assert from 'node:assert/strict';
import { controllerHarness } from '../../test/support/controller-harness.ts';
import { StoreOutage, storeRetryDelay } from './store-outage.ts';
import { isStoreUnavailable } from '../store/unavailable.ts';
import type { Logger } from '../lib/log.ts';
import type { Store } from '../store/store.ts';

/** A logger that keeps its lines (level and message). */
function keptLog() {
  const lines: string[] = [];
  const at = (level: string) => (_fields: unknown, msg?: string) => lines.push(`${level} ${msg ?? _fields}`);
  const log = { error: at('error'), warn: at('warn'), info: at('info'), debug: at('debug') } as unknown as Logger;
  return { log, lines };
}

/** What node-postgres throws when its server is down. */
const refused = () => Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:27432'), { code: 'ECONNREFUSED' });

test('the backoff doubles from 100 ms to at most 1 s', () => {
  assert.deepEqual([0, 1, 2, 3, 4, 5, 20].map(storeRetryDelay), [100, 200, 400, 800, 1000, 1000, 1000]);
});

test('which errors say the store cannot be reached', () => {
  const table: [unknown, boolean][] = [
    [refused(), true],
    [new AggregateError([refused()], 'connect failed'), true],
    [Object.assign(new Error('terminating connection due to administrator command'), { code: '57P01' }), true],
    [Object.assign(new Error('the database system is starting up'), { code: '57P03' }), true],
    [new Error('Connection terminated unexpectedly'), true],
    [new Error('wrapped', { cause: refused() }), true],
    [Object.assign(new Error('duplicate key value'), { code: '23505' }), false],
    [new Error('disk I/O error'), false],
    [undefined, false],
  ];
  for (const [err, want] of table) assert.equal(isStoreUnavailable(err), want, String((err as Error)?.message));
});

test('a store outage is logged once when lost and once when back, however many tries', () => {
  const { log, lines } = keptLog();
  const o = new StoreOutage(log);
  assert.equal(o.due(0), true);
  let tries = 0;
  for (let t = 0; t < 30_000; t += 100)
    if (o.due(t)) {
      tries++;
      o.failed(t, refused(), 'failover of s1');
    }
  assert.ok(tries <= 35 && tries >= 28, `about one try a second after the first few: ${tries}`);
  assert.equal(o.lost, true);
  let next = 30_000;
  while (!o.due(next)) next += 10;
  o.failed(next - 10, refused(), 'status of s2');
  assert.equal(o.due(next), true, 'a failure meanwhile does not put the retry off');
  o.answered(31_050);
  o.answered(31_100);
  assert.equal(o.lost, false);
  assert.deepEqual(lines, ['error farm store unreachable; what needs it waits and is retried', 'warn farm store back']);
});

test('a failover confirmed while the store is out waits for it: the verdict stands, no tight loop, one entry once it is back', async (t) => {
  const h = await controllerHarness(t, {
    settings: { FarmHealthStartDelayMs: 0, FarmHealthMissedUdpMs: 1000, StatusIntervalMs: 100 },
    groups: [{ id: 1 }],
    servers: ['a', 'n'].map((id, i) => ({ id, group: 1, host: '127.0.0.1', udpPort: i + 1 })),
    cameras: [{ id: 'ca', url: 'rtsp://h/ca', server: 'a' }],
  });
  const quiet = async (ms: number, silent: string[] = []) => {
    h.clock.t = 1_000_000 + ms;
    if (!silent.includes('n')) await h.status('n', silent);
    await h.at(ms);
  };
  await h.status('a');
  await quiet(0);
  // The store goes: every operation the failover needs fails as node-postgres fails.
  let out = true;
  let calls = 0;
  const store = h.store as unknown as Record<string, (...a: unknown[]) => Promise<unknown>>;
  for (const name of [
    'snapshot',
    'setServerState',
    'insertFailover',
    'updateFailover',
    'moveCameras',
    'bumpGeneration',
  ]) {
    const real = store[name].bind(h.store);
    store[name] = async (...a: unknown[]) => {
      if (out) {
        calls++;
        throw refused();
      }
      return real(...a);
    };
  }
  await quiet(1000, ['a']);
  await quiet(1600, ['a']);
  const a = () => h.c.state().servers.find((s) => s.id === 'a')!;
  assert.equal(a().state, 'down', 'confirmed: the verdict stands in memory');
  assert.equal(h.c.storeLost, true);
  const downSince = a().downSince;
  const before = calls;
  for (let ms = 1700; ms <= 11_600; ms += 100) {
    await quiet(ms, ['a']);
    assert.equal(a().state, 'down', `at ${ms}: no flapping back to up`);
  }
  assert.ok(calls - before <= 16, `retried with backoff, not every tick: ${calls - before} store calls in 10 s`);
  out = false;
  // Within a second of the store's return the failover is committed, on one entry.
  let back = 11_600;
  while ((await (h.store as Store).failovers()).length === 0 && back < 12_600) {
    back += 100;
    await quiet(back, ['a']);
  }
  assert.ok(back <= 12_600, 'committed within 1 s of the store answering');
  const fos = await h.store.failovers();
  assert.equal(fos.length, 1, 'one entry');
  assert.deepEqual([fos[0].server, fos[0].status, fos[0].detail.confirmedAt], ['a', 'running', downSince]);
  assert.equal(h.c.state().cameras.find((c) => c.id === 'ca')!.current, 'n');
  assert.equal(h.c.storeLost, false);
  const stored = (await h.store.snapshot()).servers.find((s) => s.id === 'a')!;
  assert.deepEqual([stored.state, stored.downSince], ['down', downSince], 'store and memory agree');
});

test('two servers failing while the store is out: both wait, both are carried out when it is back, one entry each', async (t) => {
  const h = await controllerHarness(t, {
    settings: { FarmHealthStartDelayMs: 0, FarmHealthMissedUdpMs: 1000, StatusIntervalMs: 100 },
    groups: [{ id: 1, policy: 'distribute' }],
    servers: ['a', 'b', 'n', 'm'].map((id, i) => ({ id, group: 1, host: '127.0.0.1', udpPort: i + 1 })),
    cameras: [
      { id: 'ca', url: 'rtsp://h/ca', server: 'a' },
      { id: 'cb', url: 'rtsp://h/cb', server: 'b' },
    ],
  });
  const quiet = async (ms: number) => {
    h.clock.t = 1_000_000 + ms;
    for (const id of ['n', 'm']) await h.status(id, ms ? ['a', 'b'] : []);
    await h.at(ms);
  };
  for (const id of ['a', 'b']) await h.status(id);
  await quiet(0);
  let out = true;
  const store = h.store as unknown as Record<string, (...a: unknown[]) => Promise<unknown>>;
  for (const name of ['snapshot', 'setServerState', 'insertFailover', 'moveCameras', 'bumpGeneration']) {
    const real = store[name].bind(h.store);
    store[name] = async (...a: unknown[]) => {
      if (out) throw refused();
      return real(...a);
    };
  }
  for (let ms = 1000; ms <= 4000; ms += 100) await quiet(ms);
  const state = (id: string) => h.c.state().servers.find((s) => s.id === id)!.state;
  assert.deepEqual([state('a'), state('b')], ['down', 'down'], 'both verdicts stand');
  out = false;
  for (let ms = 4100; ms <= 5100; ms += 100) {
    await quiet(ms);
    assert.deepEqual([state('a'), state('b')], ['down', 'down'], `at ${ms}: neither flips back`);
  }
  const fos = await h.store.failovers();
  assert.deepEqual(fos.map((f) => f.server).sort(), ['a', 'b'], 'one entry each');
  const where = (id: string) => h.c.state().cameras.find((c) => c.id === id)!.current;
  assert.deepEqual(
    fos.map((f) => [f.server, f.status]),
    [
      ['a', 'running'],
      ['b', 'queued'],
    ],
    'one failover of a group at a time, as ever',
  );
  assert.ok(['n', 'm'].includes(where('ca')));
  // a's target records ca: its failover is done and b's comes out of the queue.
  h.clock.t = 1_005_200;
  await h.status(where('ca'), [], [{ camera: 'ca', startMs: 1_005_000, endMs: 1_005_200 }]);
  await h.at(5300);
  assert.ok(['n', 'm'].includes(where('cb')), `cb on ${where('cb')}`);
  assert.equal((await h.store.failovers()).length, 2);
});
