import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { DAY_MS, planRetention, requiredFreeBytes, type RetentionInput, type RetentionSegment } from './retention.ts';

const NOW = Date.UTC(2024, 4, 30);
const MB = 1_000_000;

let nextId = 1;
function seg(cameraId: string, ageDays: number, bytes = MB, disk = '/d1', stream = 0): RetentionSegment {
  const endMs = NOW - ageDays * DAY_MS;
  const id = nextId++;
  return { id, cameraId, stream, startMs: endMs - 1000, endMs, path: `${cameraId}/${id}.ts`, bytes, storagePath: disk };
}

function input(over: Partial<RetentionInput>): RetentionInput {
  return {
    now: NOW,
    paths: [{ path: '/d1', totalBytes: 100 * MB, freeBytes: 50 * MB }],
    minFreeBytes: 10 * MB,
    minFreePercent: 0,
    maxDaysByCameraStream: () => 0,
    segments: [],
    ...over,
  };
}

const ids = (plan: ReturnType<typeof planRetention>) => plan.delete.map((d) => `${d.id}:${d.reason}`);

test('planRetention table', async (t) => {
  const cases: { name: string; make: () => [RetentionInput, (segs: RetentionSegment[]) => string[]] }[] = [
    {
      name: 'enough space and no day limit: nothing is deleted',
      make: () => {
        const segs = [seg('c1', 40), seg('c2', 1)];
        return [input({ segments: segs }), () => []];
      },
    },
    {
      name: 'max days per camera stream: only segments wholly past their own limit go',
      make: () => {
        const segs = [seg('c1', 5), seg('c1', 2.9, MB, '/d1', 0), seg('c1', 5, MB, '/d1', 1), seg('c2', 100)];
        const days = (c: string, s: number) => (c === 'c1' ? [3, 20][s] : 0);
        return [input({ segments: segs, maxDaysByCameraStream: days }), (s) => [`${s[0].id}:max-days`]];
      },
    },
    {
      name: 'a segment ending exactly at the limit is past it; one straddling it is kept',
      make: () => {
        const exact = seg('c1', 3);
        const straddling = { ...seg('c1', 3), endMs: NOW - 3 * DAY_MS + 1 };
        return [
          input({ segments: [exact, straddling], maxDaysByCameraStream: () => 3 }),
          () => [`${exact.id}:max-days`],
        ];
      },
    },
    {
      name: 'low space: the oldest across cameras until minFreeBytes is met',
      make: () => {
        const segs = [seg('c2', 9, 3 * MB), seg('c1', 8, 3 * MB), seg('c2', 7, 3 * MB), seg('c1', 1, 3 * MB)];
        // 5 MB free, 10 MB needed: two 3 MB segments leave 11 MB free.
        return [
          input({ segments: segs, paths: [{ path: '/d1', totalBytes: 100 * MB, freeBytes: 5 * MB }] }),
          (s) => [`${s[0].id}:low-space`, `${s[1].id}:low-space`],
        ];
      },
    },
    {
      name: 'low space by percentage: the larger bound wins',
      make: () => {
        const segs = [seg('c1', 9, 4 * MB), seg('c1', 8, 4 * MB), seg('c1', 7, 4 * MB)];
        // 20% of 100 MB = 20 MB > minFreeBytes 10 MB; 15 MB free: two segments are needed.
        return [
          input({
            segments: segs,
            minFreePercent: 20,
            paths: [{ path: '/d1', totalBytes: 100 * MB, freeBytes: 15 * MB }],
          }),
          (s) => [`${s[0].id}:low-space`, `${s[1].id}:low-space`],
        ];
      },
    },
    {
      name: 'space freed by max-days counts before anything else is deleted for space',
      make: () => {
        const segs = [seg('c1', 10, 6 * MB), seg('c2', 9, 6 * MB), seg('c2', 8, 6 * MB)];
        const days = (c: string) => (c === 'c1' ? 7 : 0);
        return [
          input({
            segments: segs,
            maxDaysByCameraStream: days,
            paths: [{ path: '/d1', totalBytes: 100 * MB, freeBytes: 5 * MB }],
          }),
          (s) => [`${s[0].id}:max-days`],
        ];
      },
    },
    {
      name: 'only the full disk loses footage, and only its own copies',
      make: () => {
        const segs = [
          seg('c1', 9, 5 * MB, '/d2'),
          seg('c1', 9, 5 * MB, '/d1'),
          seg('c1', 8, 5 * MB, '/d1'),
          seg('c1', 7, 5 * MB, '/d2'),
        ];
        const disks = [
          { path: '/d1', totalBytes: 100 * MB, freeBytes: 50 * MB },
          { path: '/d2', totalBytes: 100 * MB, freeBytes: 1 * MB },
        ];
        return [input({ segments: segs, paths: disks }), (s) => [`${s[0].id}:low-space`, `${s[3].id}:low-space`]];
      },
    },
    {
      name: 'a bound that cannot be met deletes everything on that disk, nothing elsewhere',
      make: () => {
        const segs = [seg('c1', 2, MB, '/d1'), seg('c1', 1, MB, '/other')];
        return [input({ segments: segs, minFreeBytes: 200 * MB }), (s) => [`${s[0].id}:low-space`]];
      },
    },
    {
      name: 'input order does not matter: the oldest goes first',
      make: () => {
        const segs = [seg('c1', 1, 6 * MB), seg('c1', 3, 6 * MB), seg('c1', 2, 6 * MB)];
        return [
          input({ segments: segs, paths: [{ path: '/d1', totalBytes: 100 * MB, freeBytes: 5 * MB }] }),
          (s) => [`${s[1].id}:low-space`],
        ];
      },
    },
  ];
  for (const c of cases) {
    await t.test(c.name, () => {
      const [inp, expected] = c.make();
      assert.deepEqual(ids(planRetention(inp)), expected(inp.segments));
    });
  }
});

test('requiredFreeBytes is the larger of the two bounds, rounded up', () => {
  assert.equal(requiredFreeBytes({ totalBytes: 1000 }, 10, 5), 50);
  assert.equal(requiredFreeBytes({ totalBytes: 1000 }, 60, 5), 60);
  assert.equal(requiredFreeBytes({ totalBytes: 999 }, 0, 0.1), 1);
});

// ---- properties over random farms ----

const DISKS = ['/d1', '/d2', '/d3'];
const arbInput = fc
  .record({
    disks: fc.tuple(
      ...DISKS.map(() =>
        fc.record({
          totalBytes: fc.integer({ min: 1, max: 10_000 }),
          freeFrac: fc.double({ min: 0, max: 1, noNaN: true }),
        }),
      ),
    ),
    minFreeBytes: fc.integer({ min: 0, max: 5_000 }),
    minFreePercent: fc.double({ min: 0, max: 100, noNaN: true }),
    days: fc.array(fc.integer({ min: 0, max: 30 }), { minLength: 6, maxLength: 6 }),
    segments: fc.array(
      fc.record({
        camera: fc.integer({ min: 0, max: 2 }),
        stream: fc.integer({ min: 0, max: 1 }),
        ageMs: fc.integer({ min: 0, max: 40 * DAY_MS }),
        lengthMs: fc.integer({ min: 1, max: 2000 }),
        bytes: fc.integer({ min: 0, max: 2_000 }),
        disk: fc.constantFrom(...DISKS),
      }),
      { maxLength: 60 },
    ),
  })
  .map(
    (r): RetentionInput => ({
      now: NOW,
      paths: r.disks.map((d, i) => ({
        path: DISKS[i],
        totalBytes: d.totalBytes,
        freeBytes: Math.floor(d.totalBytes * d.freeFrac),
      })),
      minFreeBytes: r.minFreeBytes,
      minFreePercent: r.minFreePercent,
      maxDaysByCameraStream: (c, s) => r.days[Number(c.slice(1)) * 2 + s],
      segments: r.segments
        .map((s, i) => ({
          id: i + 1,
          cameraId: `c${s.camera}`,
          stream: s.stream,
          startMs: NOW - s.ageMs - s.lengthMs,
          endMs: NOW - s.ageMs,
          path: `p${i}`,
          bytes: s.bytes,
          storagePath: s.disk,
        }))
        .sort((a, b) => a.startMs - b.startMs || a.id - b.id),
    }),
  );

test('property: only expired copies or the oldest of a full disk are deleted, and just enough of them', () => {
  fc.assert(
    fc.property(arbInput, (inp) => {
      const plan = planRetention(inp);
      const byKey = new Map(inp.segments.map((s) => [`${s.id}@${s.storagePath}`, s]));
      const deleted = new Map(plan.delete.map((d) => [`${d.id}@${d.storagePath}`, d.reason]));
      assert.equal(deleted.size, plan.delete.length, 'no copy is deleted twice');
      const expired = (s: RetentionSegment) => {
        const days = inp.maxDaysByCameraStream(s.cameraId, s.stream);
        return days > 0 && s.endMs <= inp.now - days * DAY_MS;
      };
      for (const s of inp.segments) {
        const reason = deleted.get(`${s.id}@${s.storagePath}`);
        if (expired(s)) assert.equal(reason, 'max-days', 'every expired copy goes, for that reason');
        else if (reason) assert.equal(reason, 'low-space');
      }
      for (const d of inp.paths) {
        const need = requiredFreeBytes(d, inp.minFreeBytes, inp.minFreePercent);
        const onDisk = inp.segments.filter((s) => s.storagePath === d.path);
        const freedByDays = onDisk.filter(expired).reduce((n, s) => n + s.bytes, 0);
        const rest = onDisk.filter((s) => !expired(s));
        const lowSpace = rest.filter((s) => deleted.get(`${s.id}@${s.storagePath}`) === 'low-space');
        // The low-space deletions are a prefix of the disk's remaining copies, oldest first.
        assert.deepEqual(lowSpace, rest.slice(0, lowSpace.length), 'only the oldest of a disk go for space');
        const free = d.freeBytes + freedByDays + lowSpace.reduce((n, s) => n + s.bytes, 0);
        if (lowSpace.length < rest.length)
          assert.ok(free >= need, `disk ${d.path} meets its bound unless everything went`);
        if (lowSpace.length) {
          const before = free - lowSpace[lowSpace.length - 1].bytes;
          assert.ok(before < need, 'not one copy more than needed');
        }
      }
      for (const key of deleted.keys()) assert.ok(byKey.has(key), 'only input copies are named');
    }),
    { numRuns: 500 },
  );
});

test('property: the same input gives the same plan, whatever the order of the segments', () => {
  fc.assert(
    fc.property(arbInput, fc.integer(), (inp, seed) => {
      const a = planRetention(inp);
      const shuffled = [...inp.segments].sort(
        (x, y) => (((x.id * 2654435761) ^ seed) % 97) - (((y.id * 2654435761) ^ seed) % 97),
      );
      assert.deepEqual(planRetention({ ...inp, segments: structuredClone(shuffled) }), a);
      assert.deepEqual(planRetention(inp), a);
    }),
    { numRuns: 300 },
  );
});
