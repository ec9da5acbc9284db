// What a master-crash run's time went to: the new leader's log (when it led, confirmed s1 down,
// committed the move, saw the cameras record) and the frames on disk (s1's last, the next server's
// first), each in ms after the kill. For the bench's stderr: where a missed goal is to be looked for.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { farmSegments, localFarmStorage } from '../test/support/disk-footage.ts';

/** Each step of a takeover and failover, ms after the kill; undefined when it is not in the log (or on disk). */
export interface CrashTimeline {
  /** The new leader took the lease (its log). */
  leads?: number;
  /** It confirmed s1 down. */
  s1Down?: number;
  /** It committed s1's cameras' move. */
  moved?: number;
  /** It heard every moved camera record. */
  recording?: number;
  /** The last frame s1 stored of the moved cameras (before the kill: its unfinished segment dies with it). */
  s1LastFrame?: number;
  /** The first frame another server stored after that, the latest of the moved cameras. */
  nextFirstFrame?: number;
}

const STEPS: { key: keyof CrashTimeline; msg: string; s1?: boolean }[] = [
  { key: 'leads', msg: 'this master leads' },
  { key: 's1Down', msg: 'server confirmed down', s1: true },
  { key: 'moved', msg: 'failover: cameras moved', s1: true },
  { key: 'recording', msg: 'failover done: every moved camera records', s1: true },
];

/** The timeline of a run's takeover by `master` (its log in the farm folder) and of s1's cameras on disk. */
export function crashTimeline(dir: string, master: string, cameras: string[], killedAt: number): CrashTimeline {
  const t: CrashTimeline = {};
  for (const line of readFileSync(join(dir, `${master}.log`), 'utf8').split('\n')) {
    let entry: { time?: number; msg?: string; server?: string };
    try {
      entry = JSON.parse(line);
    } catch {
      continue; // not one of its structured lines (a runtime warning)
    }
    if (entry.time === undefined || entry.time < killedAt) continue;
    const step = STEPS.find((s) => s.msg === entry.msg && (!s.s1 || entry.server === 's1'));
    if (step && t[step.key] === undefined) t[step.key] = entry.time - killedAt;
  }
  const roots = localFarmStorage(dir);
  for (const id of cameras) {
    const segments = farmSegments(roots, id);
    const own = segments.filter((s) => s.recordedBy === 's1');
    if (!own.length) continue;
    const last = Math.max(...own.map((s) => s.endMs));
    const next = segments.filter((s) => s.recordedBy !== 's1' && s.endMs > last).map((s) => s.startMs);
    t.s1LastFrame = Math.min(t.s1LastFrame ?? Number.POSITIVE_INFINITY, Math.round(last - killedAt));
    if (next.length)
      t.nextFirstFrame = Math.max(
        t.nextFirstFrame ?? Number.NEGATIVE_INFINITY,
        Math.round(Math.min(...next) - killedAt),
      );
  }
  return t;
}
