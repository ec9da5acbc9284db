import { inTx } from './in-tx.ts';
import type { Db, Dialect } from './db.ts';
import { chunks, inChunks } from './batch.ts';
import { subtract, union, type Span } from '../lib/range-math.ts';

/** One file of a camera stream as a server reported it. */
export interface SegmentRow {
  server: string;
  camera: string;
  stream: number;
  /** A copy brought home: the server that recorded it (absent: the server's own recording). */
  recordedBy?: string;
  startMs: number;
  endMs: number;
  /** Absent from servers that do not report it. */
  bytes?: number;
  sha256?: string;
}

/** A segment a server no longer holds. */
export interface RemovedSegment {
  camera: string;
  stream?: number;
  recordedBy?: string;
  startMs: number;
  endMs: number;
}

type Tx = Db;

/** Records a server's reported segments (a file reported again stays as first reported), on the caller's transaction. */
export async function insertSegmentRows(
  tx: Tx,
  dialect: Dialect,
  server: string,
  segments: readonly Omit<SegmentRow, 'server'>[],
): Promise<void> {
  const rows = segments.map((s) => ({
    server_id: server,
    camera_id: s.camera,
    stream: s.stream,
    recorded_by: s.recordedBy ?? '',
    start_ms: s.startMs,
    end_ms: s.endMs,
    bytes: s.bytes ?? null,
    sha256: s.sha256 ?? null,
  }));
  await inChunks(rows, 8, dialect, (chunk) =>
    tx
      .insertInto('recording_segments')
      .values(chunk)
      .onConflict((oc) => oc.columns(['camera_id', 'stream', 'start_ms', 'server_id', 'recorded_by']).doNothing())
      .execute(),
  );
}

/**
 * Forgets segments a server no longer holds: their rows, and their time in that server's intervals
 * (only the time no other segment of the server still covers, so a neighbour overlapping by a few
 * ms keeps its footage). One transaction; other servers' rows are never touched. Returns how many
 * segment rows went.
 */
export async function removeSegments(
  db: Db,
  dialect: Dialect,
  server: string,
  removed: readonly RemovedSegment[],
): Promise<number> {
  if (!removed.length) return 0;
  const groups = new Map<string, { camera: string; stream: number; recordedBy: string; spans: Span[] }>();
  for (const r of removed) {
    const stream = r.stream ?? 0;
    const recordedBy = r.recordedBy ?? '';
    const key = `${r.camera}\n${stream}\n${recordedBy}`;
    const g = groups.get(key) ?? { camera: r.camera, stream, recordedBy, spans: [] };
    g.spans.push({ startMs: r.startMs, endMs: r.endMs });
    groups.set(key, g);
  }
  let gone = 0;
  await inTx(db, async (tx) => {
    for (const g of groups.values()) {
      for (const starts of chunks(
        g.spans.map((s) => s.startMs),
        1,
        dialect,
        4,
      )) {
        const r = await tx
          .deleteFrom('recording_segments')
          .where('server_id', '=', server)
          .where('camera_id', '=', g.camera)
          .where('stream', '=', g.stream)
          .where('recorded_by', '=', g.recordedBy)
          .where('start_ms', 'in', starts)
          .executeTakeFirst();
        gone += Number(r.numDeletedRows);
      }
      const cuts = union(g.spans);
      const from = cuts[0].startMs;
      const to = cuts.at(-1)!.endMs;
      const kept = await tx
        .selectFrom('recording_segments')
        .select(['start_ms', 'end_ms'])
        .where('server_id', '=', server)
        .where('camera_id', '=', g.camera)
        .where('stream', '=', g.stream)
        .where('end_ms', '>', from)
        .where('start_ms', '<', to)
        .execute();
      const keptSpans = kept.map((k) => ({ startMs: Number(k.start_ms), endMs: Number(k.end_ms) }));
      const cut = cuts.flatMap((c) => subtract(c, keptSpans));
      if (cut.length) await cutIntervals(tx, server, g.camera, g.stream, cut);
    }
  });
  return gone;
}

/** Takes `cut` out of a server's intervals of a camera stream: trimmed, split or deleted. */
async function cutIntervals(tx: Tx, server: string, camera: string, stream: number, cut: Span[]): Promise<void> {
  const rows = await tx
    .selectFrom('recordings')
    .select(['id', 'start_ms', 'end_ms'])
    .where('server_id', '=', server)
    .where('camera_id', '=', camera)
    .where('stream', '=', stream)
    .where('end_ms', '>', cut[0].startMs)
    .where('start_ms', '<', cut.at(-1)!.endMs)
    .execute();
  for (const r of rows) {
    const span = { startMs: Number(r.start_ms), endMs: Number(r.end_ms) };
    const left = subtract(span, cut);
    if (left.length === 1 && left[0].startMs === span.startMs && left[0].endMs === span.endMs) continue;
    if (!left.length) {
      await tx.deleteFrom('recordings').where('id', '=', r.id).execute();
      continue;
    }
    await tx
      .updateTable('recordings')
      .set({ start_ms: left[0].startMs, end_ms: left[0].endMs })
      .where('id', '=', r.id)
      .execute();
    if (left.length > 1)
      await tx
        .insertInto('recordings')
        .values(
          left.slice(1).map((l) => ({
            camera_id: camera,
            server_id: server,
            stream,
            start_ms: l.startMs,
            end_ms: l.endMs,
          })),
        )
        .execute();
  }
}

/** A camera stream's segment rows overlapping [fromMs, toMs), of every server or of one, in time order. */
export async function segmentRows(
  db: Db,
  camera: string,
  stream: number,
  fromMs: number,
  toMs: number,
  server?: string,
): Promise<SegmentRow[]> {
  let q = db
    .selectFrom('recording_segments')
    .selectAll()
    .where('camera_id', '=', camera)
    .where('stream', '=', stream)
    .where('end_ms', '>', fromMs)
    .where('start_ms', '<', toMs);
  if (server !== undefined) q = q.where('server_id', '=', server);
  const rows = await q.orderBy('start_ms').orderBy('server_id').execute();
  return rows.map((r) => ({
    server: r.server_id,
    camera: r.camera_id,
    stream: Number(r.stream),
    ...(r.recorded_by && { recordedBy: r.recorded_by }),
    startMs: Number(r.start_ms),
    endMs: Number(r.end_ms),
    ...(r.bytes !== null && { bytes: Number(r.bytes) }),
    ...(r.sha256 !== null && { sha256: r.sha256 }),
  }));
}
