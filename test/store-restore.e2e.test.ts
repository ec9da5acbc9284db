import { test } from 'node:test';
import assert from 'node:assert/strict';
import { copyFileSync, existsSync, mkdirSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { diskSegments } from './support/disk-footage.ts';
import { FarmUnderTest } from './support/farm-under-test.ts';

// Loopback ports of this test (the 27600 family).
const PORTS = { master: 27600, rtsp: 27654, udp: 27645 };
const START_DELAY_MS = 6000;
const SQLITE_FILES = ['', '-wal', '-shm'];

/** Master log lines (JSON) at or after `since` whose message starts with `msg`. */
function lines(file: string, since: number, msg: string): Record<string, unknown>[] {
  return readFileSync(file, 'utf8')
    .split('\n')
    .flatMap((l) => {
      try {
        const o = JSON.parse(l) as { time: number; msg: string };
        return o.time >= since && o.msg.startsWith(msg) ? [o] : [];
      } catch {
        return [];
      }
    });
}

test("a master whose store was restored from an older copy leads on under a term above the servers' own, and they obey it: a failover is carried out", {
  timeout: 240_000,
}, async (t) => {
  const fut = new FarmUnderTest(t, 'store-restore', PORTS.master);
  const url = (id: string) => `rtsp://127.0.0.1:${PORTS.rtsp}/${id}`;
  await fut.farm.startSim(PORTS.rtsp, ['c1', 'c2']);
  const config = {
    settings: {
      AliveIntervalMs: 250,
      FarmHealthMissedUdpMs: 1500,
      FarmHealthStartDelayMs: START_DELAY_MS,
      StatusIntervalMs: 250,
    },
    groups: [{ id: 1, policy: 'spare' as const }],
    servers: ['s1', 's2', 's3'].map((id, i) => ({ id, group: 1, host: '127.0.0.1', udpPort: PORTS.udp + i })),
    cameras: [
      { id: 'c1', url: url('c1'), server: 's1' },
      { id: 'c2', url: url('c2'), server: 's2' },
    ],
  };
  await fut.start(config);
  await fut.settled({ c1: 's1', c2: 's2' }, 60_000);

  // The night's copy of the store, taken while the master was stopped.
  const store = await fut.farm.storeLocation();
  const copy = join(fut.dir, 'backup');
  mkdirSync(copy);
  await fut.farm.kill('master', 'SIGTERM');
  for (const f of SQLITE_FILES) if (existsSync(store + f)) copyFileSync(store + f, join(copy, `farm.sqlite${f}`));

  // The farm goes on after the copy: the master restarted (a new term) and an operator moved c2 (new
  // generations). Every server now holds an assignment the copy never saw.
  await fut.farm.startMaster(config);
  await fut.farm.post('/api/v1/cameras/c2/move', { to: 's3' });
  await fut.settled({ c1: 's1', c2: 's3' }, 30_000);
  const onS3From = Date.now();
  await fut.farm.waitFor(
    () => diskSegments(fut.storageOf('s3'), 'c2').filter((x) => x.startMs >= onS3From).length >= 2,
    30_000,
    'two segments of c2 on s3 after the move',
  );
  const onS3 = diskSegments(fut.storageOf('s3'), 'c2').filter((x) => x.startMs >= onS3From);

  // The master's machine is rebuilt from the copy.
  await fut.farm.kill('master', 'SIGTERM');
  for (const f of SQLITE_FILES) rmSync(store + f, { force: true });
  for (const f of SQLITE_FILES) {
    const from = join(copy, `farm.sqlite${f}`);
    if (existsSync(from)) copyFileSync(from, store + f);
  }
  const restoredAt = Date.now();
  await fut.farm.startMaster(config);

  // The servers told it what they hold: it leads on under a term above theirs and they obey the
  // store as restored (c2 back on s2, where the copy has it).
  await fut.settled({ c1: 's1', c2: 's2' }, 30_000);
  const raised = lines(fut.logOf('master'), restoredAt, 'this master leads on under a newer term');
  assert.equal(raised.length, 1, 'the term raised once');
  assert.match(String(raised[0].reason), /holds term \d+ generation \d+, above this master's/);
  const master = (await fut.farm.api<{ term: number }>('/api/v1/master')).term;
  assert.ok(master > (raised[0].from as number), `the master leads under the raised term (${master})`);

  // What s3 recorded of c2 after the copy stays on its disk; the restored store never had c2 on s3,
  // so its reconcile keeps that footage out of the timeline (a server puts back only its own cameras'
  // footage) and says so in the log.
  await fut.farm.waitFor(
    () => lines(fut.logOf('master'), restoredAt, 'timeline reconciled').some((l) => l.server === 's3'),
    30_000,
    "s3's reconcile with the restored master",
  );
  const s3 = lines(fut.logOf('master'), restoredAt, 'timeline reconciled').find((l) => l.server === 's3')!;
  assert.ok((s3.refused as number) >= onS3.length, `s3's footage of c2 kept out, and said: ${JSON.stringify(s3)}`);

  // And what it decides is carried out: s1 dies, c1 records on the spare.
  await fut.judging(START_DELAY_MS);
  await fut.farm.kill('s1');
  const killedAt = Date.now();
  await fut.settled({ c1: 's3', c2: 's2' }, 30_000);
  await fut.farm.waitFor(
    () => diskSegments(fut.storageOf('s3'), 'c1').some((s) => s.startMs > killedAt),
    30_000,
    'footage of c1 on s3 from after the failover, on disk',
  );
  for (const id of ['s2', 's3'])
    assert.deepEqual(
      lines(fut.logOf(id), Date.now() - 5000, 'an assignment older than the one in force'),
      [],
      `${id} refuses nothing of the leader now`,
    );
  for (const x of onS3) assert.ok(existsSync(x.file), `${x.file}: footage is never deleted by a restore`);
});
