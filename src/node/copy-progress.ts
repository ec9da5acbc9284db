/**
 * The decisions of a copy-back job that need no I/O: how a time range is cut into listing chunks,
 * which listed segments a chunk still has to copy and in which order, the progress figures, and
 * the token bucket behind the rate limit. Kept apart so each can be table-tested.
 */

/** A time range [fromMs, toMs). */
export interface Range {
  fromMs: number;
  toMs: number;
}

/** The listing chunk starting at `cursorMs`, at most `chunkMs` long and ending by `toMs`; undefined when the range is covered. */
export function nextChunk(cursorMs: number, toMs: number, chunkMs: number): Range | undefined {
  if (!(chunkMs > 0)) throw new Error(`chunk length ${chunkMs} must be positive`);
  return cursorMs < toMs ? { fromMs: cursorMs, toMs: Math.min(toMs, cursorMs + chunkMs) } : undefined;
}

/** Every listing chunk of a range, in order. */
export function chunks(range: Range, chunkMs: number): Range[] {
  const out: Range[] = [];
  for (let c = nextChunk(range.fromMs, range.toMs, chunkMs); c; c = nextChunk(c.toMs, range.toMs, chunkMs)) out.push(c);
  return out;
}

/** What a listing says of a segment (times and id are enough to place it). */
export interface ListedSegment {
  id: number;
  startMs: number;
  endMs: number;
}

/**
 * The segments of a chunk's listing that the chunk has to copy, oldest first. A listing gives every
 * segment overlapping its range, so one crossing a chunk boundary shows in two listings: it belongs
 * to the chunk its start falls in, except that the job's first chunk also takes those starting
 * before the job's range (they overlap it, so they are part of the failover period's footage).
 */
export function toCopy<T extends ListedSegment>(listed: T[], chunk: Range, jobFromMs: number): T[] {
  const seen = new Set<number>();
  return listed
    .filter((s) => s.startMs < chunk.toMs && (s.startMs >= chunk.fromMs || chunk.fromMs === jobFromMs))
    .filter((s) => !seen.has(s.id) && seen.add(s.id))
    .sort((a, b) => a.startMs - b.startMs || a.id - b.id);
}

/** Counters of a job, as persisted. */
export interface Counters {
  state: 'running' | 'done' | 'failed';
  segments: number;
  segmentsDone: number;
  bytes: number;
  bytesDone: number;
}

/** The current run of a job: when it (re)started and how much was done by then. */
export interface RunSample {
  startedMs: number;
  bytesDoneAtStart: number;
}

/** Progress figures shown to operators. */
export interface ProgressFigures {
  /** 0–100, one decimal, by bytes. */
  percent: number;
  /** Average over the current run; 0 before any byte of it. */
  rateBytesPerSec: number;
  /** Time left at the current rate; null while unknown (no rate yet), 0 once done. */
  etaMs: number | null;
}

/**
 * Percent, rate and time left. The rate is the current run's average (a resumed job does not count
 * what an earlier run copied, nor the time it was down); without a run (queued, or finished with
 * `frozenRate`) it is that frozen figure or 0.
 */
export function progress(c: Counters, run: RunSample | undefined, nowMs: number, frozenRate = 0): ProgressFigures {
  const percent =
    c.state === 'done' ? 100 : c.bytes > 0 ? Math.min(100, Math.floor((c.bytesDone / c.bytes) * 1000) / 10) : 0;
  const elapsed = run ? nowMs - run.startedMs : 0;
  const rate = run
    ? elapsed > 0
      ? Math.round(((c.bytesDone - run.bytesDoneAtStart) * 1000) / elapsed)
      : 0
    : frozenRate;
  if (c.state === 'done') return { percent, rateBytesPerSec: rate, etaMs: 0 };
  const left = Math.max(0, c.bytes - c.bytesDone);
  return {
    percent,
    rateBytesPerSec: rate,
    etaMs: c.state === 'running' && rate > 0 ? Math.round((left * 1000) / rate) : null,
  };
}

/** Counters after one more segment of `bytes` is copied: totals grow if the source holds more than first counted. */
export function afterSegment<C extends Counters>(c: C, bytes: number): C {
  const segmentsDone = c.segmentsDone + 1;
  const bytesDone = c.bytesDone + bytes;
  return {
    ...c,
    segmentsDone,
    bytesDone,
    segments: Math.max(c.segments, segmentsDone),
    bytes: Math.max(c.bytes, bytesDone),
  };
}

/** A token bucket: `tokens` bytes may pass at once as of `atMs` (negative: owed). */
export interface Bucket {
  tokens: number;
  atMs: number;
}

/**
 * Lets `bytes` through a bucket filling at `ratePerSec` up to `burst`: returns the new bucket and
 * how long to wait before passing on more. A chunk larger than what the bucket holds goes through
 * at once and is paid for by waiting afterwards, so the long-run rate holds whatever the chunk size.
 */
export function take(
  b: Bucket,
  bytes: number,
  nowMs: number,
  ratePerSec: number,
  burst: number,
): { bucket: Bucket; waitMs: number } {
  const refilled = Math.min(burst, b.tokens + (Math.max(0, nowMs - b.atMs) * ratePerSec) / 1000);
  const tokens = refilled - bytes;
  return { bucket: { tokens, atMs: nowMs }, waitMs: tokens < 0 ? Math.ceil((-tokens * 1000) / ratePerSec) : 0 };
}
