import { bytes, duration } from '../lib/format.ts';

/** A copy-back job's progress, as the master reports it. */
export interface Progress {
  bytes: number;
  bytesDone: number;
  percent: number;
  rateBytesPerSec: number;
  etaMs: number | null;
}

/** "42 % — 12 MB of 30 MB, 3.0 MB/s, about 6.0 s left" (or "waiting to start"). Pure. */
export function progressText(p: Progress | undefined): string {
  if (!p) return 'waiting to start';
  const eta = p.etaMs === null ? '' : `, about ${duration(p.etaMs)} left`;
  const rate = p.rateBytesPerSec > 0 ? `, ${bytes(p.rateBytesPerSec)}/s` : '';
  return `${Math.floor(p.percent)} % — ${bytes(p.bytesDone)} of ${bytes(p.bytes)}${rate}${eta}`;
}

/** The yellow bar's line over every job under way: where footage goes and the total progress. Pure. */
export function barText(jobs: readonly { home: string; progress?: Progress }[]): string {
  const homes = [...new Set(jobs.map((j) => j.home))].sort().join(', ');
  const total = jobs.reduce((n, j) => n + (j.progress?.bytes ?? 0), 0);
  const done = jobs.reduce((n, j) => n + (j.progress?.bytesDone ?? 0), 0);
  const rate = jobs.reduce((n, j) => n + (j.progress?.rateBytesPerSec ?? 0), 0);
  const percent = total ? Math.floor((100 * done) / total) : 0;
  const eta = rate > 0 && total ? `, about ${duration(((total - done) / rate) * 1000)} left` : '';
  return `Copying footage back to ${homes}: ${percent} % — ${bytes(done)} of ${bytes(total)}${rate > 0 ? `, ${bytes(rate)}/s` : ''}${eta} (${jobs.length} job${jobs.length > 1 ? 's' : ''})`;
}
