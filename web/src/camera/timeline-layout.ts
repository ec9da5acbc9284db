/** A span laid out on the timeline bar: left and width in percent of the range. */
export interface Placed {
  left: number;
  width: number;
}

/** Places [startMs, endMs] on a bar showing [from, to], clipped, at least 0.3 % wide so a second stays visible. Pure. */
export function place(startMs: number, endMs: number, from: number, to: number): Placed {
  const span = Math.max(1, to - from);
  const a = Math.max(from, Math.min(to, startMs));
  const b = Math.max(from, Math.min(to, endMs));
  return { left: ((a - from) / span) * 100, width: Math.max(0.3, ((b - a) / span) * 100) };
}

/** The instant at a fraction (0..1) of the bar. Pure. */
export function instantAt(fraction: number, from: number, to: number): number {
  return Math.round(from + Math.max(0, Math.min(1, fraction)) * (to - from));
}

const PALETTE = ['#4c9be8', '#3fb950', '#d98bf0', '#f0a35d', '#5dd6d0', '#e8d44c', '#9aa7ff', '#ff8fb1'];

/** A colour per server, stable for a given list of servers (sorted), so a legend and the bar agree. Pure. */
export function colours(servers: readonly string[]): Map<string, string> {
  return new Map([...new Set(servers)].sort().map((s, i) => [s, PALETTE[i % PALETTE.length]]));
}

/** The presets of the range picker, in ms. */
export const RANGES: [string, number][] = [
  ['15 min', 15 * 60_000],
  ['1 h', 3_600_000],
  ['6 h', 6 * 3_600_000],
  ['24 h', 24 * 3_600_000],
];

/** A datetime-local input's value for an instant (local time, to the second). Pure but for the time zone. */
export function toInput(ms: number): string {
  const d = new Date(ms - new Date(ms).getTimezoneOffset() * 60_000);
  return d.toISOString().slice(0, 19);
}
