import { VigilError } from './errors.ts';

const HOUR = 3_600_000;

/** A time given as epoch ms or ISO 8601; BAD_TIME naming the parameter otherwise. Pure. */
export function parseTime(v: string, name: string): number {
  const n = /^\d+$/.test(v) ? Number(v) : Date.parse(v);
  if (!Number.isFinite(n)) throw new VigilError('BAD_TIME', `${name}: not a time (epoch ms or ISO 8601): ${v}`);
  return n;
}

const DAY = 24 * HOUR;

/** A bound's length as people say it: "31 days", "1 h", "90 min", "20 s". Pure. */
export function durationText(ms: number): string {
  if (ms >= DAY && ms % DAY === 0) return ms === DAY ? '1 day' : `${ms / DAY} days`;
  if (ms >= HOUR && ms % HOUR === 0) return `${ms / HOUR} h`;
  if (ms >= 60_000 && ms % 60_000 === 0) return `${ms / 60_000} min`;
  return `${ms / 1000} s`;
}

/**
 * Refuses a range [from, to) that is empty (BAD_RANGE) or longer than maxMs (RANGE_TOO_LONG,
 * naming `what` is bounded, the bound and the range asked). Pure.
 */
export function checkRange(from: number, to: number, maxMs = Number.POSITIVE_INFINITY, what = 'a range'): void {
  if (from >= to) throw new VigilError('BAD_RANGE', '`from` must be before `to`');
  if (to - from > maxMs)
    throw new VigilError(
      'RANGE_TOO_LONG',
      `${what} covers at most ${durationText(maxMs)} at once; asked ${iso(from)} to ${iso(to)}`,
    );
}

const iso = (ms: number) => (Number.isFinite(new Date(ms).getTime()) ? new Date(ms).toISOString() : String(ms));

/**
 * The range a request asks for: `to` defaults to now, `from` to an hour before `to`; refused as
 * checkRange says (`what` names the bounded thing: "an export", "the timeline"). Pure.
 */
export function askedRange(
  q: { from?: string; to?: string },
  now: number,
  maxMs?: number,
  what?: string,
): { from: number; to: number } {
  const to = q.to ? parseTime(q.to, 'to') : now;
  const from = q.from ? parseTime(q.from, 'from') : to - HOUR;
  checkRange(from, to, maxMs, what);
  return { from, to };
}

const UNIT_MS: Record<string, number> = { s: 1000, m: 60_000, h: HOUR, d: DAY };

/**
 * A start time given as a time (epoch ms, ISO 8601) or as a duration before `now` ("30s", "15m",
 * "2h", "7d"); BAD_TIME naming the parameter otherwise. Pure.
 */
export function parseSince(v: string, now: number, name = 'since'): number {
  const d = /^(\d+)\s*([smhd])$/.exec(v.trim());
  return d ? now - Number(d[1]) * UNIT_MS[d[2]] : parseTime(v, name);
}
