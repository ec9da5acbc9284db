import type { NodeFile } from '../protocol/node-api.ts';
import type { SegmentRow } from '../store/recording-segments.ts';
import { uncovered, union, type Span } from '../lib/range-math.ts';
import { JITTER_MS } from '../lib/continuity.ts';
import type { VerifyDifference } from './verify-report.ts';

/** What the master holds of one server over the range, and what that server's disks hold. */
export interface ServerEvidence {
  server: string;
  /** The master's segment rows of the server (size and hash as reported). */
  timeline: readonly SegmentRow[];
  /** The master's intervals of the server: what the timeline shows. */
  intervals: readonly Span[];
  /** The server's files (GET /node/v1/files), hashed now. */
  files: readonly NodeFile[];
}

/**
 * Every difference between the master's record of one server's footage of a camera stream over
 * [from, to) and the files on that server's disks. A segment is judged in the range its start falls
 * in; a file the server has not yet reported (pending) is not judged. Holes in the intervals' cover
 * up to JITTER_MS (the timeline's own merge bound) are none. Pure.
 */
export function diffServer(e: ServerEvidence, from: number, to: number): VerifyDifference[] {
  const out: VerifyDifference[] = [];
  const inRange = (startMs: number) => startMs >= from && startMs < to;
  const onDisk = new Map<string, NodeFile[]>();
  const indexedOnly: NodeFile[] = [];
  for (const f of e.files) {
    if (!inRange(f.startMs)) continue;
    if (f.missing) indexedOnly.push(f);
    else onDisk.set(fileKey(f), [...(onDisk.get(fileKey(f)) ?? []), f]);
  }
  const rows = new Map(e.timeline.filter((r) => inRange(r.startMs)).map((r) => [fileKey(r), r]));
  const lost: Span[] = [];
  for (const r of rows.values()) {
    const files = onDisk.get(fileKey(r)) ?? [];
    const timeline = side(r);
    if (!files.length) {
      lost.push(r);
      const known = indexedOnly.find((f) => fileKey(f) === fileKey(r));
      out.push({
        kind: 'missing-on-disk',
        server: e.server,
        startMs: r.startMs,
        endMs: r.endMs,
        ...(known && { file: known.name }),
        timeline,
        detail: known
          ? 'in the timeline and the server index; no file on any storage path'
          : 'in the timeline; no file on the server',
      });
      continue;
    }
    for (const f of files) {
      const disk = side(f);
      if (r.bytes !== undefined && f.bytes !== r.bytes)
        out.push({
          kind: 'size-differs',
          server: e.server,
          startMs: r.startMs,
          endMs: r.endMs,
          file: f.name,
          timeline,
          disk,
          detail: `${f.bytes} bytes on disk, ${r.bytes} recorded`,
        });
      else if (r.sha256 !== undefined && f.sha256 !== r.sha256)
        out.push({
          kind: 'hash-differs',
          server: e.server,
          startMs: r.startMs,
          endMs: r.endMs,
          file: f.name,
          timeline,
          disk,
          detail: 'the bytes on disk are not those recorded',
        });
    }
  }
  const intervals = e.intervals.map((i) => ({ startMs: Math.max(i.startMs, from), endMs: Math.min(i.endMs, to) }));
  const shown = union(intervals);
  for (const f of indexedOnly)
    if (!rows.has(fileKey(f)) && !f.pending)
      out.push({
        kind: 'missing-on-disk',
        server: e.server,
        startMs: f.startMs,
        endMs: f.endMs,
        file: f.name,
        detail: 'in the server index only; no file on any storage path',
      });
  for (const [key, files] of onDisk) {
    if (rows.has(key)) continue;
    const { startMs } = files[0];
    for (const f of files) {
      if (f.pending) continue;
      // Rows from before segments were kept (store v7) show only as intervals: a file inside one is in the timeline.
      const endMs = f.endMs ?? startMs;
      if (shown.some((i) => i.startMs <= startMs + JITTER_MS && i.endMs >= endMs - JITTER_MS)) continue;
      out.push({
        kind: 'not-in-timeline',
        server: e.server,
        startMs,
        ...(f.endMs !== undefined && { endMs: f.endMs }),
        file: f.name,
        disk: side(f),
        detail: f.indexed
          ? 'on disk and in the server index; not in the timeline'
          : 'on disk; in neither the server index nor the timeline',
      });
    }
  }
  // Any file of the server covers its time, judged in this range or not (one starting before `from`, too).
  const covered = e.files
    .filter((f) => !f.missing && f.endMs !== undefined)
    .map((f) => ({ startMs: f.startMs, endMs: f.endMs! }));
  for (const i of shown)
    for (const hole of uncovered(i, [...covered, ...lost], JITTER_MS))
      out.push({
        kind: 'timeline-without-file',
        server: e.server,
        startMs: hole.startMs,
        endMs: hole.endMs,
        detail: `the timeline shows ${hole.endMs - hole.startMs} ms recorded here that no file covers`,
      });
  return out.sort((a, b) => (a.startMs ?? 0) - (b.startMs ?? 0));
}

/**
 * A file's identity on one server: its start and, for a copy brought home, who recorded it (the home
 * server's own file of the same instant is another file).
 */
function fileKey(x: { startMs: number; recordedBy?: string }): string {
  return `${x.startMs}\n${x.recordedBy ?? ''}`;
}

function side(x: { bytes?: number; sha256?: string }): { bytes?: number; sha256?: string } {
  return { ...(x.bytes !== undefined && { bytes: x.bytes }), ...(x.sha256 !== undefined && { sha256: x.sha256 }) };
}
