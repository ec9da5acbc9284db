import { createHash } from 'node:crypto';

const HOUR = 3_600_000;

/** A camera stream's segments starting in one hour, summed up: two sides with the same digest hold the same segments. */
export interface HourDigest {
  camera: string;
  stream: number;
  /** The hour's start, epoch ms (UTC hours). */
  hourMs: number;
  count: number;
  /** SHA-256 (hex) over "<startMs>:<endMs>:<recordedBy>\n" of each segment, by start (recordedBy '' for own recordings). */
  digest: string;
}

/**
 * Digests of segments by camera stream and hour of their start, in key order. The node's index and
 * the master's rows of a server are digested alike, so reconcile fetches only the hours that differ. Pure.
 */
export function hourDigests(
  segments: Iterable<{ camera: string; stream: number; startMs: number; endMs: number; recordedBy?: string }>,
): HourDigest[] {
  const buckets = new Map<string, { camera: string; stream: number; hourMs: number; files: Map<string, string> }>();
  for (const s of segments) {
    const hourMs = Math.floor(s.startMs / HOUR) * HOUR;
    const key = `${s.camera}\n${s.stream}\n${hourMs}`;
    const b = buckets.get(key) ?? { camera: s.camera, stream: s.stream, hourMs, files: new Map() };
    // Keyed by file: redundant copies and a row read twice are one segment.
    b.files.set(`${s.startMs}:${s.recordedBy ?? ''}`, `${s.startMs}:${s.endMs}:${s.recordedBy ?? ''}\n`);
    buckets.set(key, b);
  }
  return [...buckets.values()]
    .map((b) => {
      const h = createHash('sha256');
      const lines = [...b.files.values()].sort(
        (x, y) => Number.parseInt(x, 10) - Number.parseInt(y, 10) || x.localeCompare(y),
      );
      for (const line of lines) h.update(line);
      return { camera: b.camera, stream: b.stream, hourMs: b.hourMs, count: lines.length, digest: h.digest('hex') };
    })
    .sort((a, b) => a.camera.localeCompare(b.camera) || a.stream - b.stream || a.hourMs - b.hourMs);
}

/** The key of a digest's bucket, to match the two sides' digests. Pure. */
export function digestKey(d: { camera: string; stream: number; hourMs: number }): string {
  return `${d.camera}\n${d.stream}\n${d.hourMs}`;
}
