import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import { FarmUnderTest, type FailoverView } from './support/farm-under-test.ts';
import { privateCluster } from './support/pg-cluster.ts';

// Two masters on one PostgreSQL store (a cluster of this test's own, which it restarts), four
// servers of a distribute group, three cameras. The leader is killed, crashed at each step of a
// failover, paused, loses its store and is cut off from it; each time the other one leads and the
// failovers go on, one entry each, no camera recorded by two servers.
const PORTS = { m1: 28701, m2: 28702, rtsp: 28755, udp: 28745, pg: 28732 };
const LEASE = { leaseMs: 2000, renewMs: 500 };
const MISSED_MS = 1500;
const START_DELAY_MS = 6000;
/** The group id a cut-off master runs under: an iptables rule on it drops its packets to the store. */
const CUT_GID = 28799;
const SERVERS = ['s1', 's2', 's3', 's4'];

interface MasterAnswer {
  id: string;
  leader: boolean;
  term: number;
  leaderId?: string;
}
interface LogLine {
  time: number;
  msg: string;
  reason?: string;
}

function logLines(file: string, since: number): LogLine[] {
  if (!existsSync(file)) return [];
  return readFileSync(file, 'utf8')
    .split('\n')
    .flatMap((l) => {
      try {
        const j = JSON.parse(l) as LogLine;
        return j.time >= since ? [j] : [];
      } catch {
        return [];
      }
    });
}

test('replicated masters: kill -9, a crash at each step of a failover, SIGSTOP, the store restarted, the leader cut off from it', {
  timeout: 600_000,
}, async (t) => {
  const pg = privateCluster(`vigil_masters_${process.pid}`, PORTS.pg);
  const fut = new FarmUnderTest(t, 'masters', PORTS.m1, undefined, {
    postgres: pg.url,
    standbyPorts: [PORTS.m2],
    lease: LEASE,
  });
  t.after(() => pg.drop());
  pg.create();
  pg.start();
  const { farm } = fut;
  const rules: string[][] = [];
  t.after(() => {
    for (const r of rules) execFileSync('iptables', ['-D', ...r]);
  });
  const url = (id: string) => `rtsp://127.0.0.1:${PORTS.rtsp}/${id}`;
  await farm.startSim(PORTS.rtsp, ['c1', 'c2', 'c3']);
  const config = {
    settings: {
      AliveIntervalMs: 250,
      FarmHealthMissedUdpMs: MISSED_MS,
      FarmHealthStartDelayMs: START_DELAY_MS,
      StatusIntervalMs: 250,
    },
    groups: [{ id: 1, policy: 'distribute' as const }],
    servers: SERVERS.map((id, i) => ({ id, group: 1, host: '127.0.0.1', udpPort: PORTS.udp + i })),
    cameras: ['c1', 'c2', 'c3'].map((id, i) => ({ id, url: url(id), server: SERVERS[i] })),
  };
  await fut.start(config);
  await farm.startStandby('master2');
  await fut.settled({ c1: 's1', c2: 's2', c3: 's3' }, 60_000);
  await fut.judging(START_DELAY_MS);

  const info = async (name: string) =>
    (await (
      await farm.requestAt(name, '/api/v1/master', { signal: AbortSignal.timeout(2000) })
    ).json()) as MasterAnswer;
  const leads = (name: string, ms: number) =>
    farm.waitFor(async () => (await farm.leader()) === name, ms, `${name} to lead`);
  const alive = (name: string) => {
    const pid = farm.pids()[name];
    if (pid === undefined) return false;
    try {
      process.kill(pid, 0);
      return true;
    } catch {
      return false;
    }
  };
  const entriesOf = async (server: string, afterId: number) =>
    (await fut.failovers()).filter((f) => f.server === server && f.id > afterId);
  const lastId = async () => Math.max(0, ...(await fut.failovers()).map((f) => f.id));
  /** A server holding a camera that records now, and that camera. */
  const holder = async () => {
    const c = (await fut.cameras()).find((x) => x.recording === 'recording')!;
    return { server: c.currentServer, camera: c.id };
  };
  /** Its one failover entry since `afterId` is done and its cameras record on their targets. */
  const failedOver = async (server: string, afterId: number, ms = 60_000): Promise<FailoverView> => {
    let entry: FailoverView | undefined;
    await farm.waitFor(
      async () => {
        const es = await entriesOf(server, afterId);
        entry = es[0];
        if (es.length !== 1 || entry.status !== 'done') return false;
        return fut.recordingOn(Object.fromEntries(entry.detail.moves.map((m) => [m.camera, m.to])));
      },
      ms,
      `the failover of ${server} done, its cameras recording`,
    );
    assert.equal((await entriesOf(server, afterId)).length, 1, `one entry for ${server}`);
    return entry!;
  };
  /** Every camera is recorded by one running server at most (their own assignment files), the store's owner. */
  const oneOwnerEach = async () => {
    const byCamera = new Map<string, string[]>();
    for (const id of SERVERS) {
      if (!alive(id)) continue;
      const a = JSON.parse(readFileSync(join(fut.dir, 'nodes', id, 'assignment.json'), 'utf8')) as {
        cameras: { id: string; buffer?: unknown }[];
      };
      for (const c of a.cameras.filter((x) => !x.buffer)) byCamera.set(c.id, [...(byCamera.get(c.id) ?? []), id]);
    }
    for (const c of await fut.cameras()) {
      const holders = byCamera.get(c.id) ?? [];
      assert.ok(holders.length <= 1, `${c.id} recorded by ${holders.join(' and ')}`);
      if (holders.length) assert.equal(holders[0], c.currentServer, `${c.id}: the store's owner records it`);
    }
  };
  /** A dead server's node back, and seen up by the leader. */
  const back = async (id: string) => {
    fut.startNode(id);
    await farm.waitFor(async () => (await fut.server(id)).state === 'up', 60_000, `${id} up again`);
  };
  const figures: Record<string, number> = {};

  // 1. kill -9 the leader: the standby leads within the lease + 1 s, and failovers go on.
  assert.equal(await farm.leader(), 'master');
  const term1 = (await info('master')).term;
  await farm.waitFor(async () => (await info('master2')).leaderId === 'm1', 10_000, 'the standby to see m1 lead');
  const killedAt = Date.now();
  await farm.kill('master');
  await leads('master2', LEASE.leaseMs + 3000);
  figures.takeover_after_kill_ms = Date.now() - killedAt;
  assert.ok(
    figures.takeover_after_kill_ms <= LEASE.leaseMs + 1000,
    `led ${figures.takeover_after_kill_ms} ms after the kill`,
  );
  assert.equal((await info('master2')).term, term1 + 1, 'a new term');
  // The servers find the new leader within a second of its lease: each one's first status to it, by
  // its own clock (an upper bound: the status seen first may be a later one).
  const ledAt = logLines(fut.logOf('master2'), killedAt).find((l) => l.msg === 'this master leads')!.time;
  const heardAt = new Map<string, number>();
  await farm.waitFor(
    async () => {
      for (const s of await fut.servers())
        if (s.lastStatusAt !== null && s.lastStatusAt >= ledAt && !heardAt.has(s.id)) heardAt.set(s.id, s.lastStatusAt);
      return SERVERS.every((id) => heardAt.has(id));
    },
    10_000,
    'every server heard by the new leader',
  );
  figures.servers_at_new_leader_ms = Math.max(...heardAt.values()) - ledAt;
  assert.ok(
    figures.servers_at_new_leader_ms <= 1000,
    `every server reported to the new leader ${figures.servers_at_new_leader_ms} ms after it led`,
  );
  let since = await lastId();
  await farm.kill('s1');
  const first = await failedOver('s1', since);
  assert.deepEqual(
    first.detail.moves.map((m) => m.camera),
    ['c1'],
  );
  await oneOwnerEach();
  await back('s1');

  // 2. The leader dies at each step of a failover: the next one finishes it, on the same entry.
  for (const point of ['failover-confirmed', 'failover-committed', 'failover-delivery']) {
    // m1 leads with the fault point armed (m2 steps down: it gives its lease up), m2 stands by.
    await farm.startMaster(config, { env: { VIGIL_FAULT_POINT: point } });
    await farm.kill('master2', 'SIGTERM');
    await leads('master', 5000);
    await farm.startStandby('master2');
    await farm.waitFor(async () => (await info('master2')).leaderId === 'm1', 10_000, 'the standby to see m1 lead');
    const victim = await holder();
    since = await lastId();
    await farm.kill(victim.server);
    await farm.waitFor(() => !alive('master'), 30_000, `m1 to die at ${point}`);
    const diedAt = Date.now();
    await leads('master2', LEASE.leaseMs + 3000);
    const entry = await failedOver(victim.server, since);
    figures[`${point}_finished_ms`] = Date.now() - diedAt;
    const steps = entry.detail.moves.map((m) => m.camera);
    assert.ok(steps.includes(victim.camera), `${point}: ${victim.camera} moved (${steps.join(', ')})`);
    await oneOwnerEach();
    await back(victim.server);
  }

  // 3. SIGSTOP the leader for 10 s: m1 leads meanwhile and fails over a server that dies then;
  // at SIGCONT m2 finds itself deposed, and nothing it tries reaches the store or a node.
  await farm.startMaster(config);
  await farm.waitFor(async () => (await info('master')).leaderId === 'm2', 10_000, 'm1 to see m2 lead');
  const stopped = farm.pids().master2!;
  farm.answering = 0; // this test's own requests to m1: a stopped master holds a request forever
  const victim = await holder();
  since = await lastId();
  const stoppedAt = Date.now();
  process.kill(stopped, 'SIGSTOP');
  try {
    await farm.kill(victim.server);
    await leads('master', LEASE.leaseMs + 3000);
    const term3 = (await info('master')).term;
    await failedOver(victim.server, since);
    await delay(Math.max(0, stoppedAt + 10_000 - Date.now()));
    process.kill(stopped, 'SIGCONT');
    const contAt = Date.now();
    await farm.waitFor(async () => (await info('master2')).leaderId === 'm1', 10_000, 'm2 to see m1 lead');
    await delay(2000); // time for whatever m2 would still try
    const m2 = logLines(fut.logOf('master2'), contAt - 100);
    assert.ok(
      m2.some((l) => l.msg === 'this master stops deciding'),
      `m2 says it stopped: ${m2.map((l) => l.msg).join(' | ')}`,
    );
    assert.ok(!m2.some((l) => /confirmed down|failover/.test(l.msg)), 'm2 judged nobody after its pause');
    assert.deepEqual(
      (await fut.failovers()).filter((f) => f.id > since).map((f) => f.server),
      [victim.server],
      'one failover in all: m1s',
    );
    for (const id of SERVERS.filter(alive)) {
      const a = JSON.parse(readFileSync(join(fut.dir, 'nodes', id, 'assignment.json'), 'utf8')) as { term: number };
      assert.equal(a.term, term3, `${id} holds the new leader's assignment`);
      const refused = logLines(fut.logOf(id), contAt).filter((l) => l.msg.startsWith('an assignment older'));
      assert.deepEqual(refused, [], `${id} was sent nothing by the deposed leader`);
    }
    await oneOwnerEach();
    await back(victim.server);
  } finally {
    process.kill(stopped, 'SIGCONT');
  }

  // 4. The store restarted in the middle of a failover: the leader stops deciding (it cannot renew),
  // nobody crashes, and once the store is back a leader finishes the failover.
  {
    const victim = await holder();
    since = await lastId();
    await farm.kill(victim.server);
    // The store stops as soon as the failover is under way (its entry written at confirmation; it is
    // done only once the target records, a second or more later).
    let entry: FailoverView | undefined;
    await farm.waitFor(
      async () => {
        entry = (await entriesOf(victim.server, since))[0];
        return entry !== undefined;
      },
      10_000,
      `the failover of ${victim.server} under way`,
    );
    pg.stop();
    assert.equal(entry!.status, 'running', 'the store stopped in the middle of the failover');
    await delay(3000);
    pg.start();
    await failedOver(victim.server, since, 90_000);
    assert.ok(alive('master') && alive('master2'), 'both masters still run');
    await oneOwnerEach();
    await back(victim.server);
  }

  // 5. The leader cut off from the store, not from the servers (an iptables rule on its group id):
  // it stops deciding within its lease; m2, which reaches the store, takes over and fails over.
  {
    await farm.kill('master', 'SIGTERM');
    await leads('master2', 5000);
    await farm.startMaster(config, { gid: CUT_GID });
    await farm.kill('master2', 'SIGTERM');
    await leads('master', 5000);
    await farm.startStandby('master2');
    await farm.waitFor(async () => (await info('master2')).leaderId === 'm1', 10_000, 'm2 to see m1 lead');
    const rule = [
      'OUTPUT',
      '-p',
      'tcp',
      '--dport',
      String(PORTS.pg),
      '-m',
      'owner',
      '--gid-owner',
      String(CUT_GID),
      '-j',
      'DROP',
    ];
    execFileSync('iptables', ['-A', ...rule]);
    rules.push(rule);
    const cutAt = Date.now();
    await farm.waitFor(
      () => logLines(fut.logOf('master'), cutAt).some((l) => l.msg === 'this master stops deciding'),
      LEASE.leaseMs + 2000,
      'm1 to stop deciding',
    );
    figures.cut_off_stood_down_ms =
      logLines(fut.logOf('master'), cutAt).find((l) => l.msg === 'this master stops deciding')!.time - cutAt;
    assert.ok(
      figures.cut_off_stood_down_ms <= LEASE.leaseMs,
      `stood down ${figures.cut_off_stood_down_ms} ms after the cut`,
    );
    await leads('master2', LEASE.leaseMs + 3000);
    const victim = await holder();
    since = await lastId();
    await farm.kill(victim.server);
    await failedOver(victim.server, since);
    assert.ok(alive('master'), 'the cut-off master runs on');
    await oneOwnerEach();
    execFileSync('iptables', ['-D', ...rule]);
    rules.pop();
    await farm.waitFor(async () => (await info('master')).leaderId === 'm2', 20_000, 'm1 back as a standby of m2');
  }
  console.log(JSON.stringify(figures));
});
