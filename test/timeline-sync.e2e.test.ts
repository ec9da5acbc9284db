import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  closeSync,
  existsSync,
  openSync,
  rmSync,
  readSync,
  statfsSync,
  statSync,
  unlinkSync,
  writeSync,
  writeFileSync,
} from 'node:fs';
import { basename, join, relative } from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import { diskSegments, type DiskSegment } from './support/disk-footage.ts';
import { FarmUnderTest, type CopyJobView } from './support/farm-under-test.ts';
import { mountTmpfs } from './support/tmpfs.ts';
import { runVigil } from './support/run-vigil.ts';
import type { VerifyReport } from '../src/verify/verify-report.ts';

// Loopback ports of helper C's range (27300-27399).
const RETENTION = { master: 27300, rtsp: 27354, udp: 27345 };
const FAILBACK = { master: 27301, rtsp: 27355, udp: 27347 };
const RECONNECT = { master: 27302, rtsp: 27356, udp: 27349 };
const MB = 1024 * 1024;
const STATUS_MS = 250;
const START_DELAY_MS = 8000;
const settings = {
  AliveIntervalMs: 250,
  FarmHealthMissedUdpMs: 2000,
  FarmHealthStartDelayMs: START_DELAY_MS,
  StatusIntervalMs: STATUS_MS,
};
/** "Within a few status intervals": the time the timeline may take to drop what retention deleted. */
const FEW_STATUSES_MS = 8 * STATUS_MS;

/** `vigil verify --json` over a camera and a range, as an operator runs it. */
async function verify(fut: FarmUnderTest, camera: string, from: number, to: number): Promise<VerifyReport> {
  const r = await runVigil(
    [
      'verify',
      '--camera',
      camera,
      '--from',
      String(from),
      '--to',
      String(to),
      '--json',
      '--master',
      fut.farm.masterUrl,
      '--ca',
      fut.farm.caFile,
    ],
    { VIGIL_TOKEN: fut.farm.admin.token },
  );
  assert.ok(r.code === 0 || r.code === 2, `vigil verify ran (exit ${r.code}): ${r.stderr}`);
  const report = JSON.parse(r.stdout) as VerifyReport;
  assert.equal(r.code, report.ok ? 0 : 2, 'exit 2 exactly when it found differences');
  return report;
}

const differences = (r: VerifyReport) => r.differences.map((d) => `${d.kind} ${d.server} ${d.file ?? d.startMs}`);

/** Whether any of `server`'s intervals in the timeline overlaps the inside of a segment. */
function shown(tl: { recorded: { server: string; startMs: number; endMs: number }[] }, server: string, s: DiskSegment) {
  return tl.recorded.some((r) => r.server === server && r.startMs < s.endMs - 200 && r.endMs > s.startMs + 200);
}

test('retention deleting footage takes it out of the timeline within a few status intervals; verify then finds the disks and the timeline in step, and finds a changed and a removed segment', {
  timeout: 150_000,
}, async (t) => {
  const fut = new FarmUnderTest(t, 'timeline-retention', RETENTION.master);
  const disk = mountTmpfs(t, 48 * MB);
  const minFreeBytes = 8 * MB;
  await fut.farm.startSim(RETENTION.rtsp, ['c1']);
  await fut.start({
    settings,
    groups: [{ id: 1 }],
    servers: [
      { id: 's1', group: 1, host: '127.0.0.1', udpPort: RETENTION.udp, storage: { paths: disk, minFreeBytes } },
      { id: 's2', group: 1, host: '127.0.0.1', udpPort: RETENTION.udp + 1 },
    ],
    cameras: [{ id: 'c1', url: `rtsp://127.0.0.1:${RETENTION.rtsp}/c1`, server: 's1' }],
  });
  await fut.settled({ c1: 's1' }, 60_000);
  const since = Date.now();
  await fut.farm.waitFor(() => diskSegments(disk, 'c1').length >= 8, 60_000, 'eight segments of c1 on s1');
  await delay(1000); // the newest of them reported

  // Fill the disk to below its free-space bound by about the size of the three oldest segments: the next
  // retention round (every 10 s) deletes the oldest footage.
  const before = diskSegments(disk, 'c1');
  const oldest3 = before.slice(0, 3).reduce((n, s) => n + statSync(s.file).size, 0);
  const { bavail, bsize } = statfsSync(disk);
  const filler = join(disk, 'filler.bin');
  writeFileSync(filler, Buffer.alloc(Math.max(0, bavail * bsize - minFreeBytes + oldest3)));
  await fut.farm.waitFor(
    () => statSync(before[0].file, { throwIfNoEntry: false }) === undefined,
    30_000,
    'retention deleting the oldest segment',
  );
  const deletedSeenAt = Date.now();
  unlinkSync(filler); // no more deleting: what follows is about what it deleted
  const left = new Set(diskSegments(disk, 'c1').map((s) => s.file));
  const deleted = before.filter((s) => !left.has(s.file));
  assert.ok(deleted.length >= 1, 'retention deleted footage');
  await fut.farm.waitFor(
    async () => {
      const tl = await fut.timeline('c1', since - 60_000, Date.now());
      return !deleted.some((s) => shown(tl, 's1', s));
    },
    FEW_STATUSES_MS,
    `the ${deleted.length} deleted segments gone from the timeline within ${FEW_STATUSES_MS} ms of being seen gone`,
  );
  console.log(
    `# retention deleted ${deleted.length} segments; the timeline dropped them within ${Date.now() - deletedSeenAt} ms of the deletion being seen on disk`,
  );

  // Retention deletes until the free-space bound holds, and the recording went on until its round: it may
  // have taken every segment there was (CI's loaded run: 8). Footage enough after it to change one
  // segment and remove another, both finished before `until`.
  await fut.farm.waitFor(
    () => diskSegments(disk, 'c1').length >= 7,
    60_000,
    'seven segments of c1 on s1 after retention',
  );
  await delay(1500); // segments of now reported
  const until = Date.now() - 1000;
  const clean = await verify(fut, 'c1', since - 60_000, until);
  assert.deepEqual(differences(clean), [], 'after retention, the timeline and the disks agree');
  const s1 = clean.servers.find((s) => s.server === 's1');
  assert.ok(
    s1 && s1.timelineSegments >= 5 && s1.files >= 5,
    `verify compared s1's files: ${JSON.stringify(clean.servers)}`,
  );

  // A segment whose bytes change on disk (same size), and one removed behind the server's back.
  const kept = diskSegments(disk, 'c1').filter((s) => s.endMs < until - 1000);
  const [changed, removed] = [kept[1], kept[3]];
  const fd = openSync(changed.file, 'r+');
  const buf = Buffer.alloc(64);
  readSync(fd, buf, 0, 64, 1000);
  for (let i = 0; i < buf.length; i++) buf[i] ^= 0xff;
  writeSync(fd, buf, 0, 64, 1000);
  closeSync(fd);
  unlinkSync(removed.file);
  const found = await verify(fut, 'c1', since - 60_000, until);
  const name = (s: DiskSegment) => relative(disk, s.file);
  assert.deepEqual(differences(found), [`hash-differs s1 ${name(changed)}`, `missing-on-disk s1 ${name(removed)}`]);
  const hash = found.differences[0];
  assert.equal(hash.startMs, changed.startMs);
  assert.equal(hash.disk?.bytes, hash.timeline?.bytes, 'the same size: only the hash tells');
  assert.notEqual(hash.disk?.sha256, hash.timeline?.sha256);
  assert.equal(found.differences[1].startMs, removed.startMs, `${basename(removed.file)} named by its start`);
});

test('verify over a camera through a failover and a failback with copy-back reports no difference', {
  timeout: 150_000,
}, async (t) => {
  const fut = new FarmUnderTest(t, 'timeline-failback', FAILBACK.master);
  await fut.farm.startSim(FAILBACK.rtsp, ['c1']);
  await fut.start({
    settings,
    groups: [{ id: 1, policy: 'spare', onReturn: 'failback', failbackAfterMs: 3000 }],
    servers: ['s1', 's2'].map((id, i) => ({ id, group: 1, host: '127.0.0.1', udpPort: FAILBACK.udp + i })),
    cameras: [{ id: 'c1', url: `rtsp://127.0.0.1:${FAILBACK.rtsp}/c1`, server: 's1' }],
  });
  await fut.settled({ c1: 's1' }, 60_000);
  const since = Date.now();
  await fut.judging(START_DELAY_MS);

  await fut.farm.kill('s1');
  await fut.settled({ c1: 's2' });
  await delay(5000); // footage on s2, to be copied home
  const during = await verify(fut, 'c1', since, Date.now() - 1000);
  assert.deepEqual(
    during.differences.map((d) => `${d.kind} ${d.server}`),
    ['server-unreachable s1'],
    "while s1 is down: its files cannot be listed; s2's agree with the timeline",
  );

  fut.startNode('s1');
  await fut.farm.waitFor(
    async () => (await fut.failovers()).some((f) => f.trigger === 'failback'),
    40_000,
    'the failback',
  );
  const fb = (await fut.failovers()).find((f) => f.trigger === 'failback')!;
  await fut.settled({ c1: 's1' });
  await fut.farm.waitFor(
    async () => {
      const jobs = (await fut.failovers()).find((f) => f.id === fb.id)!.detail.copyBack as CopyJobView[] | undefined;
      return !!jobs?.length && jobs.every((j) => j.state === 'done');
    },
    40_000,
    'copy-back done',
  );
  await delay(2000); // s1's latest segments reported
  const until = Date.now() - 1000;
  assert.ok(
    diskSegments(fut.storageOf('s1'), 'c1').some((s) => s.copy),
    "s2's footage was copied to s1",
  );
  const report = await verify(fut, 'c1', since, until);
  assert.deepEqual(differences(report), [], `the timeline and every disk agree: ${JSON.stringify(report.differences)}`);
  assert.ok(
    report.servers.some((s) => s.server === 's1' && s.files > 0),
    JSON.stringify(report.servers),
  );
});

test('a server that comes back without part of its footage (its disk and index lost it while it was down): reconcile at reconnect takes it out of the timeline', {
  timeout: 150_000,
}, async (t) => {
  const fut = new FarmUnderTest(t, 'timeline-reconnect', RECONNECT.master);
  await fut.farm.startSim(RECONNECT.rtsp, ['c1']);
  await fut.start({
    settings,
    groups: [{ id: 1 }],
    servers: [{ id: 's1', group: 1, host: '127.0.0.1', udpPort: RECONNECT.udp }],
    cameras: [{ id: 'c1', url: `rtsp://127.0.0.1:${RECONNECT.rtsp}/c1`, server: 's1' }],
  });
  await fut.settled({ c1: 's1' }, 60_000);
  const since = Date.now();
  await fut.farm.waitFor(() => diskSegments(fut.storageOf('s1'), 'c1').length >= 6, 60_000, 'six segments of c1 on s1');
  await delay(1000); // reported

  // s1 dies; while it is down, three of its files and its whole index are lost (a disk swapped, a
  // restore from an older backup): it comes back, rebuilds its index from the files it has.
  await fut.farm.kill('s1');
  const lost = diskSegments(fut.storageOf('s1'), 'c1').slice(1, 4);
  for (const s of lost) unlinkSync(s.file);
  const dataDir = join(fut.storageOf('s1'), '..');
  for (const f of ['index.sqlite', 'index.sqlite-wal', 'index.sqlite-shm'])
    if (existsSync(join(dataDir, f))) rmSync(join(dataDir, f));
  const before = await fut.timeline('c1', since - 60_000, Date.now());
  assert.ok(
    lost.every((s) => shown(before, 's1', s)),
    'the master still shows the lost footage while s1 is down',
  );
  fut.startNode('s1');
  await fut.farm.waitFor(
    async () => {
      const tl = await fut.timeline('c1', since - 60_000, Date.now());
      return !lost.some((s) => shown(tl, 's1', s));
    },
    30_000,
    'the lost footage gone from the timeline after s1 reconnected',
  );
  await delay(2000);
  const report = await verify(fut, 'c1', since - 60_000, Date.now() - 1000);
  assert.deepEqual(differences(report), [], `the timeline and the disk agree: ${JSON.stringify(report.differences)}`);
});
