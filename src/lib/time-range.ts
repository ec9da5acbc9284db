import { VigilError } from './errors.ts';

const HOUR = 3_600_000;

/** A time given as epoch ms or ISO 8601; BAD_TIME naming the parameter otherwise. Pure. */
export function parseTime(v: string, name: string): number {
  const n = /^\d+$/.test(v) ? Number(v) : Date.parse(v);
  if (!Number.isFinite(n)) throw new VigilError('BAD_TIME', `${name}: not a time (epoch ms or ISO 8601): ${v}`);
  return n;
}

/** Refuses a range [from, to) that is empty (BAD_RANGE) or longer than maxMs (RANGE_TOO_LONG). Pure. */
export function checkRange(from: number, to: number, maxMs = Number.POSITIVE_INFINITY): void {
  if (from >= to) throw new VigilError('BAD_RANGE', '`from` must be before `to`');
  if (to - from > maxMs) throw new VigilError('RANGE_TOO_LONG', `at most ${maxMs / HOUR} h at once`);
}

/**
 * The range a request asks for: `to` defaults to now, `from` to an hour before `to`; refused as
 * checkRange says. Pure.
 */
export function askedRange(
  q: { from?: string; to?: string },
  now: number,
  maxMs?: number,
): { from: number; to: number } {
  const to = q.to ? parseTime(q.to, 'to') : now;
  const from = q.from ? parseTime(q.from, 'from') : to - HOUR;
  checkRange(from, to, maxMs);
  return { from, to };
}
