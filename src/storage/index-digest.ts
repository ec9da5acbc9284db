import { createHash } from 'node:crypto';

const HOUR = 3_600_000;

/** A camera stream's segments starting in one hour, summed up: two sides with the same digest hold the same segments. */
export interface HourDigest {
  camera: string;
  stream: number;
  /** The hour's start, epoch ms (UTC hours). */
  hourMs: number;
  count: number;
  /** SHA-256 (hex) over "<startMs>:<endMs>\n" of each segment, by start. */
  digest: string;
}

/**
 * Digests of segments by camera stream and hour of their start, in key order. The node's index and
 * the master's rows of a server are digested alike, so reconcile fetches only the hours that differ. Pure.
 */
export function hourDigests(
  segments: Iterable<{ camera: string; stream: number; startMs: number; endMs: number }>,
): HourDigest[] {
  const buckets = new Map<string, { camera: string; stream: number; hourMs: number; spans: [number, number][] }>();
  for (const s of segments) {
    const hourMs = Math.floor(s.startMs / HOUR) * HOUR;
    const key = `${s.camera}\n${s.stream}\n${hourMs}`;
    const b = buckets.get(key) ?? { camera: s.camera, stream: s.stream, hourMs, spans: [] };
    b.spans.push([s.startMs, s.endMs]);
    buckets.set(key, b);
  }
  return [...buckets.values()]
    .map((b) => {
      const h = createHash('sha256');
      // Deduplicated by start: redundant copies and a row read twice are one segment.
      const starts = new Map(b.spans.map(([s, e]) => [s, e]));
      for (const [s, e] of [...starts].sort((x, y) => x[0] - y[0])) h.update(`${s}:${e}\n`);
      return { camera: b.camera, stream: b.stream, hourMs: b.hourMs, count: starts.size, digest: h.digest('hex') };
    })
    .sort((a, b) => a.camera.localeCompare(b.camera) || a.stream - b.stream || a.hourMs - b.hourMs);
}

/** The key of a digest's bucket, to match the two sides' digests. Pure. */
export function digestKey(d: { camera: string; stream: number; hourMs: number }): string {
  return `${d.camera}\n${d.stream}\n${d.hourMs}`;
}
