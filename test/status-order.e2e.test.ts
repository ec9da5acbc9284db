import { test } from 'node:test';
import assert from 'node:assert/strict';
import { setTimeout as delay } from 'node:timers/promises';
import { FarmUnderTest, type ServerView } from './support/farm-under-test.ts';

// Loopback ports of this test (order-outage's 27400 family).
const PORTS = { master: 27400, rtsp: 27454, udp: 27445 };
const MISSED_MS = 1500;
const START_DELAY_MS = 6000;
const STATUS_MS = 250;

type Server = ServerView & {
  bootId: string | null;
  statusSeq: number | null;
  staleStatuses: number;
  downSince: number | null;
};

test('a status older than a confirmed-down is ignored: it neither brings the server back nor starts a second failover', {
  timeout: 180_000,
}, async (t) => {
  const fut = new FarmUnderTest(t, 'status-order', PORTS.master);
  const url = (id: string) => `rtsp://127.0.0.1:${PORTS.rtsp}/${id}`;
  await fut.farm.startSim(PORTS.rtsp, ['c1', 'c2']);
  await fut.start({
    settings: {
      AliveIntervalMs: 250,
      FarmHealthMissedUdpMs: MISSED_MS,
      FarmHealthStartDelayMs: START_DELAY_MS,
      StatusIntervalMs: STATUS_MS,
    },
    groups: [{ id: 1, policy: 'spare', onReturn: 'spare' }],
    servers: ['s1', 's2', 's3'].map((id, i) => ({ id, group: 1, host: '127.0.0.1', udpPort: PORTS.udp + i })),
    cameras: [
      { id: 'c1', url: url('c1'), server: 's1' },
      { id: 'c2', url: url('c2'), server: 's2' },
    ],
  });
  await fut.settled({ c1: 's1', c2: 's2' }, 60_000);
  await fut.judging(START_DELAY_MS);
  const server = async (id: string) => (await fut.servers()).find((s) => s.id === id) as Server;
  const before = await server('s1');
  assert.ok(before.bootId && before.statusSeq, 'the node numbers its statuses in its boot');
  // The master's answer to a status is the server's proof of freshness for its next one.
  const answeredBeforeCut = Date.now();

  // s1 hangs (a cut-off server, as the master sees it): its cameras move to the spare.
  const pid = fut.farm.pids().s1!;
  process.kill(pid, 'SIGSTOP');
  try {
    await fut.settled({ c1: 's3' });
    const down = await server('s1');
    assert.equal(down.state, 'down');
    const downSince = down.downSince!;

    // Statuses s1 built before the verdict, delivered now (held up in the network): a newer seq of
    // its boot, answered before the confirmation; and one older than the last the master took.
    const post = async (seq: number, answeredAtMs?: number) => {
      const res = await fut.serverRequest('s1', 'POST', '/api/v1/nodes/s1/status', {
        bootId: before.bootId,
        seq,
        ...(answeredAtMs !== undefined && { answeredAtMs }),
        suspects: [],
        cameras: { c1: { state: 'recording' } },
        segments: [],
      });
      assert.equal(res.status, 200, await res.text());
    };
    const last = down.statusSeq!;
    await post(last + 1, answeredBeforeCut);
    await post(last + 2, downSince); // answered in the very millisecond of the verdict: not after it
    await post(last + 1, answeredBeforeCut); // and this one again, late: older than the one taken
    // Several judging rounds: a revived server would be confirmed down again, a second failover entry.
    await delay(2 * MISSED_MS + 4 * STATUS_MS);
    const after = await server('s1');
    assert.equal(after.state, 'down', 'a status from before the verdict does not bring s1 back');
    assert.equal(after.downSince, down.downSince, 'the verdict stands as it was');
    assert.ok(after.staleStatuses >= 1, 'the out-of-order one is counted as stale');
    const entries = (await fut.failovers()).filter((f) => f.server === 's1');
    assert.equal(entries.length, 1, 'one fault, one failover entry');
    assert.equal((await fut.camera('c1')).currentServer, 's3');
  } finally {
    process.kill(pid, 'SIGCONT');
  }

  // s1 resumes: its own statuses, answered after the verdict, bring it back (as a spare), once.
  await fut.farm.waitFor(async () => (await server('s1')).state === 'up', 20_000, 's1 back');
  assert.equal((await fut.failovers()).filter((f) => f.server === 's1').length, 1);
  assert.equal((await fut.camera('c1')).currentServer, 's3', 'spare policy: c1 stays with the server that took it');
});
