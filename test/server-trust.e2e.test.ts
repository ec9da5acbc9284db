import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { createSocket } from 'node:dgram';
import { readFileSync } from 'node:fs';
import { FarmUnderTest } from './support/farm-under-test.ts';
import { encodeAlive } from '../src/health/alive-codec.ts';
import { aliveKey } from '../src/health/alive-keys.ts';
import type { FarmConfigInput } from '../src/config/farm-config.ts';

// Loopback ports of this test (the 19300 family).
const MASTER_PORT = 19390; // not 19380: the demo test's
const RTSP_PORT = 19354;
const UDP_BASE = 19345;
const MISSED_MS = 1500;
const START_DELAY_MS = 8000;
const settings = {
  AliveIntervalMs: 250,
  FarmHealthMissedUdpMs: MISSED_MS,
  FarmHealthStartDelayMs: START_DELAY_MS,
  StatusIntervalMs: 250,
};
const SERVERS = ['s1', 's2', 's3'];
const udpPort = (id: string) => UDP_BASE + SERVERS.indexOf(id);

interface Server {
  id: string;
  state: string;
  refusedSegments: number;
  bootId?: string;
  statusSeq?: number;
  udp: { accepted: number; dropped: Record<string, number> } | null;
}

test('no server poses as another: forged Alives are refused and keep no dead server up; a status cannot put segments into another camera', {
  timeout: 240_000,
}, async (t) => {
  const fut = new FarmUnderTest(t, 'server-trust', MASTER_PORT);
  const farmKey = Buffer.from(fut.farmKey);
  const forger = createSocket('udp4');
  t.after(() => forger.close());
  const config: FarmConfigInput = {
    settings,
    groups: [{ id: 1, policy: 'spare' }],
    servers: SERVERS.map((id) => ({ id, group: 1, host: '127.0.0.1', udpPort: udpPort(id) })),
    cameras: [
      { id: 'c1', url: `rtsp://127.0.0.1:${RTSP_PORT}/c1`, server: 's1' },
      { id: 'c2', url: `rtsp://127.0.0.1:${RTSP_PORT}/c2`, server: 's2' },
    ],
  };
  await fut.farm.startSim(RTSP_PORT, ['c1', 'c2']);
  await fut.start(config);
  await fut.settled({ c1: 's1', c2: 's2' }, 60_000);
  await fut.judging(START_DELAY_MS);
  const server = async (id: string) => (await fut.farm.api<Server[]>('/api/v1/servers')).find((s) => s.id === id)!;

  // Each server is handed the keys of its own pairs, derived from the farm key it does not need
  // (asked as s2, with its certificate: the node channel is the server's own, not even an admin's).
  const asAdmin = await fut.request('GET', '/api/v1/nodes/s2/assignment?after=-1');
  assert.equal(asAdmin.status, 403, "an admin does not get a server's assignment");
  await asAdmin.arrayBuffer();
  const res = await fut.serverRequest('s2', 'GET', '/api/v1/nodes/s2/assignment?after=-1');
  assert.equal(res.status, 200);
  const { alive } = (await res.json()) as { alive: { send: Record<string, string>; receive: Record<string, string> } };
  const hex = (from: string, to: string) => aliveKey(farmKey, from, to).toString('hex');
  assert.deepEqual(alive, {
    send: { s1: hex('s2', 's1'), s3: hex('s2', 's3') },
    receive: { s1: hex('s1', 's2'), s3: hex('s3', 's2') },
  });

  // A status (of s2, authenticated as s2 by its certificate) naming a segment of c1, which s1
  // records: refused, counted, logged.
  // In s2's own boot and ahead of its statuses (another boot would stand for a restart of s2, whose
  // earlier boot's statuses are then stale): the master takes the status and judges its segments.
  const forgedAt = Date.now() - 5000;
  // s2's own statuses come several a second: one may overtake the forgery, which the master then drops
  // as stale (counting nothing), so it is sent again until one is judged.
  await fut.farm.waitFor(
    async () => {
      const { bootId, statusSeq, refusedSegments } = await server('s2');
      if (refusedSegments) return true;
      const forged = await fut.serverRequest('s2', 'POST', '/api/v1/nodes/s2/status', {
        bootId,
        seq: (statusSeq ?? 0) + 2,
        suspects: [],
        cameras: {},
        segments: [{ camera: 'c1', startMs: forgedAt, endMs: forgedAt + 1000 }],
      });
      assert.equal(forged.status, 200, await forged.text());
      return false;
    },
    10_000,
    'the refusal counted',
  );
  assert.equal((await server('s2')).refusedSegments, 1, 'one forgery judged');
  const c1 = await fut.timeline('c1', forgedAt - 2000, forgedAt + 3000);
  assert.ok(c1.recorded.length > 0, 's1 recorded c1 meanwhile');
  assert.deepEqual(
    [...new Set(c1.recorded.map((r) => r.server))],
    ['s1'],
    "s2's forged segment is not in c1's timeline",
  );
  assert.match(
    readFileSync(fut.logOf('master'), 'utf8'),
    /"server":"s2","cameras":\{"c1":1\}.*status segments refused/,
  );
  // s2's own footage still comes in.
  const since = Date.now();
  await fut.farm.waitFor(
    async () => (await fut.timeline('c2', since, Date.now() + 1000)).recorded.some((r) => r.server === 's2'),
    10_000,
    "s2's own segments of c2 in the timeline",
  );

  // Forged Alives in s1's name to both its buddies; s1 is then killed. None of them may stand for s1.
  const forge = (recipient: string) => {
    const other = SERVERS.find((id) => id !== 's1' && id !== recipient)!;
    const base = { sender: 's1', bootId: randomBytes(16), seq: BigInt(Date.now()), sentAt: Date.now() };
    const to = (buf: Buffer) => forger.send(buf, udpPort(recipient), '127.0.0.1');
    // Another server's own key, posing as s1.
    to(encodeAlive({ ...base, recipient }, aliveKey(farmKey, other, recipient)));
    // s1's genuine key for the other buddy, sent to this one.
    to(encodeAlive({ ...base, recipient: other }, aliveKey(farmKey, 's1', other)));
    // The right key, stamped too long ago (a captured datagram replayed late).
    to(
      encodeAlive(
        { ...base, recipient, sentAt: Date.now() - 3 * MISSED_MS - 1000 },
        aliveKey(farmKey, 's1', recipient),
      ),
    );
    // The old datagram of one shared key for all servers.
    to(Buffer.concat([Buffer.from('VGA1'), Buffer.from([2]), Buffer.from('s1'), randomBytes(64)]));
  };
  const before = { s2: await server('s2'), s3: await server('s3') };
  const timer = setInterval(() => {
    forge('s2');
    forge('s3');
  }, 50);
  t.after(() => clearInterval(timer));
  await fut.farm.waitFor(
    async () => {
      const s2 = await server('s2');
      return ['bad-mac', 'wrong-recipient', 'stale', 'malformed'].every(
        (r) => (s2.udp?.dropped[r] ?? 0) > (before.s2.udp?.dropped[r] ?? 0),
      );
    },
    10_000,
    's2 counting every kind of forgery',
  );
  assert.deepEqual(await fut.failovers(), [], 'forgeries change nothing while s1 runs');

  const killedAt = Date.now();
  await fut.farm.kill('s1');
  await fut.settled({ c1: 's3', c2: 's2' }, 30_000);
  clearInterval(timer);
  const [fo] = await fut.failovers();
  assert.equal(fo.server, 's1');
  assert.equal(fo.trigger, 'buddy-quorum', "the buddies judged s1 down although forgeries in s1's name kept coming");
  for (const id of ['s2', 's3'] as const) {
    const s = await server(id);
    const grew = (r: string) => (s.udp?.dropped[r] ?? 0) - (before[id].udp?.dropped[r] ?? 0);
    for (const r of ['bad-mac', 'wrong-recipient', 'stale', 'malformed']) assert.ok(grew(r) > 0, `${id} refused ${r}`);
    assert.equal(s.refusedSegments, id === 's2' ? 1 : 0, `${id}: no genuine segment was refused`);
  }
  // The camera's new server is let in at once: the gate follows the assignment.
  await fut.farm.waitFor(
    async () => (await fut.timeline('c1', killedAt, Date.now() + 1000)).recorded.some((r) => r.server === 's3'),
    10_000,
    "s3's segments of c1 in the timeline",
  );
});
