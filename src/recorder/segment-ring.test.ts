import { test } from 'node:test';
import assert from 'node:assert/strict';
import { splitForCommit, trimRing } from './segment-ring.ts';

/** A ring of entries ending at the given times, each named by its end. */
const ring = (...ends: number[]) => ends.map((endMs) => ({ name: `e${endMs}`, seg: { endMs } }));
const names = (entries: { name: string }[]) => entries.map((e) => e.name);

test('trimRing keeps the entries within the window behind the newest end', () => {
  const cases: { ends: number[]; windowMs: number; keep: string[]; drop: string[] }[] = [
    { ends: [], windowMs: 3000, keep: [], drop: [] },
    { ends: [1000], windowMs: 0, keep: ['e1000'], drop: [] },
    {
      ends: [1000, 2000, 3000, 4000, 5000],
      windowMs: 3000,
      keep: ['e2000', 'e3000', 'e4000', 'e5000'],
      drop: ['e1000'],
    },
    // Exactly windowMs behind: kept, since it covers the window's start.
    { ends: [1999, 2000, 5000], windowMs: 3000, keep: ['e2000', 'e5000'], drop: ['e1999'] },
    { ends: [1000, 2000, 10_000], windowMs: 3000, keep: ['e10000'], drop: ['e1000', 'e2000'] },
    // The newest end decides even when it is not the last entry (a restart listing a little behind).
    { ends: [1000, 5000, 4900], windowMs: 1000, keep: ['e5000', 'e4900'], drop: ['e1000'] },
    { ends: [1000, 2000, 3000], windowMs: 60_000, keep: ['e1000', 'e2000', 'e3000'], drop: [] },
  ];
  for (const c of cases) {
    const { keep, drop } = trimRing(ring(...c.ends), c.windowMs);
    assert.deepEqual({ keep: names(keep), drop: names(drop) }, { keep: c.keep, drop: c.drop }, JSON.stringify(c));
  }
});

test('splitForCommit commits the entries ending after recordFromMs, in ring order', () => {
  const cases: { ends: number[]; from?: number; commit: string[]; drop: string[] }[] = [
    { ends: [], from: 1500, commit: [], drop: [] },
    { ends: [1000, 2000, 3000], commit: ['e1000', 'e2000', 'e3000'], drop: [] },
    // 2000 holds the instant 1500: committed.
    { ends: [1000, 2000, 3000], from: 1500, commit: ['e2000', 'e3000'], drop: ['e1000'] },
    // Ending exactly at recordFromMs: nothing of it is after, dropped.
    { ends: [1000, 2000, 3000], from: 2000, commit: ['e3000'], drop: ['e1000', 'e2000'] },
    { ends: [1000, 2000, 3000], from: 0, commit: ['e1000', 'e2000', 'e3000'], drop: [] },
    { ends: [1000, 2000, 3000], from: 9000, commit: [], drop: ['e1000', 'e2000', 'e3000'] },
  ];
  for (const c of cases) {
    const { commit, drop } = splitForCommit(ring(...c.ends), c.from);
    assert.deepEqual(
      { commit: names(commit), drop: names(drop) },
      { commit: c.commit, drop: c.drop },
      JSON.stringify(c),
    );
  }
});
