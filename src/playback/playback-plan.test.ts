import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { playbackPlan, OVERLAP_MS, type HeldSegment } from './playback-plan.ts';

let nextId = 1;
/** Consecutive one-server segments from `startMs`, each `ms` long. */
const run = (server: string, startMs: number, count: number, ms = 1000): HeldSegment[] =>
  Array.from({ length: count }, (_, i) => ({
    server,
    id: nextId++,
    startMs: startMs + i * ms,
    endMs: startMs + (i + 1) * ms,
  }));
const show = (plan: HeldSegment[]) => plan.map((s) => `${s.server}@${s.startMs}`);

const cases: { name: string; segments: HeldSegment[]; want: string[] }[] = [
  { name: 'nothing recorded gives nothing', segments: [], want: [] },
  {
    name: 'one server: all of it, in time order',
    segments: run('s1', 0, 3).reverse(),
    want: ['s1@0', 's1@1000', 's1@2000'],
  },
  {
    name: 'a failover with a hole: the first server then the second',
    segments: [...run('s3', 5500, 2), ...run('s1', 0, 3)],
    want: ['s1@0', 's1@1000', 's1@2000', 's3@5500', 's3@6500'],
  },
  {
    name: 'a handover with overlap: the overlapping segment of the new server is left out',
    segments: [...run('s1', 0, 3), ...run('s3', 2500, 3)],
    want: ['s1@0', 's1@1000', 's1@2000', 's3@3500', 's3@4500'],
  },
  {
    name: 'two servers recording the same stretch: the one being played is kept',
    segments: [...run('s2', 300, 5), ...run('s1', 0, 5)],
    want: ['s1@0', 's1@1000', 's1@2000', 's1@3000', 's1@4000'],
  },
  {
    name: 'the other server fills a hole in the one being played, then playback stays on it while it continues',
    segments: [...run('s1', 0, 2), ...run('s1', 4000, 2), ...run('s2', 2000, 4)],
    want: ['s1@0', 's1@1000', 's2@2000', 's2@3000', 's2@4000', 's2@5000'],
  },
  {
    name: 'jitter up to OVERLAP_MS between servers is not an overlap',
    segments: [...run('s1', 0, 2), ...run('s3', 2000 - OVERLAP_MS, 2)],
    want: ['s1@0', 's1@1000', `s3@${2000 - OVERLAP_MS}`, `s3@${3000 - OVERLAP_MS}`],
  },
  {
    name: 'empty and tiny segments never loop or stall the plan',
    segments: [
      { server: 's1', id: 1, startMs: 0, endMs: 0 },
      { server: 's1', id: 2, startMs: 0, endMs: 10 },
      { server: 's1', id: 3, startMs: 5, endMs: 20 },
    ],
    want: ['s1@0', 's1@5'],
  },
];
for (const c of cases) test(`plan: ${c.name}`, () => assert.deepEqual(show(playbackPlan(c.segments)), c.want));

test('property: the plan is in time order, never overlaps by more than OVERLAP_MS, and leaves no hole any server could fill with a whole segment', () => {
  const segment = fc.record({
    server: fc.constantFrom('a', 'b', 'c'),
    startMs: fc.integer({ min: 0, max: 20_000 }),
    len: fc.integer({ min: 1, max: 2500 }),
  });
  fc.assert(
    fc.property(fc.array(segment, { maxLength: 40 }), (raw) => {
      const segments = raw.map((r, i) => ({ server: r.server, id: i, startMs: r.startMs, endMs: r.startMs + r.len }));
      const plan = playbackPlan(segments);
      for (let i = 1; i < plan.length; i++) assert.ok(plan[i].startMs >= plan[i - 1].endMs - OVERLAP_MS, 'no overlap');
      assert.equal(new Set(plan.map((s) => `${s.server}/${s.id}`)).size, plan.length, 'each segment once');
      // A segment that fits entirely inside a hole of the plan (or before/after it) should have been taken.
      const edges = [-Infinity, ...plan.flatMap((s) => [s.startMs, s.endMs]), Infinity];
      for (let i = 0; i < edges.length; i += 2) {
        const [holeStart, holeEnd] = [edges[i], edges[i + 1]];
        const fits = segments.find((s) => s.startMs >= holeStart + OVERLAP_MS && s.endMs <= holeEnd - OVERLAP_MS);
        assert.equal(fits, undefined, `a whole segment fits in the hole ${holeStart}..${holeEnd}`);
      }
    }),
  );
});
