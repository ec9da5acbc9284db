import { inTx } from './in-tx.ts';
import { sql } from 'kysely';
import type { Db, Dialect } from './db.ts';
import type { Interval } from './rows.ts';
import { JITTER_MS } from '../lib/continuity.ts';
import { chunks, inChunks } from './batch.ts';
import { insertSegmentRows } from './recording-segments.ts';

/** Two segments closer than this are one recording interval (see JITTER_MS). */
const MERGE_MS = JITTER_MS;

/** A recorded segment of one camera stream (stream 0: the main one). */
export interface Segment {
  camera: string;
  stream?: number;
  startMs: number;
  endMs: number;
  /** A copy brought home: the server that recorded it. */
  recordedBy?: string;
  /** The file's size and SHA-256 as committed, where the server reports them. */
  bytes?: number;
  sha256?: string;
}

interface Open {
  id?: number;
  startMs: number;
  endMs: number;
  changed: boolean;
}

/**
 * Adds one server's recorded segments to the catalogue in one transaction, extending the interval
 * each one continues (per camera stream). The intervals they may continue are read in one query
 * and merged here, then written in a few statements: a status of a server with many cameras costs
 * a handful of round trips, not two per segment.
 */
export async function addRecordings(db: Db, dialect: Dialect, server: string, segments: Segment[]): Promise<void> {
  if (!segments.length) return;
  const sorted = [...segments].sort((a, b) => a.startMs - b.startMs);
  const from = sorted[0].startMs - MERGE_MS;
  const to = sorted.at(-1)!.startMs;
  const cameras = [...new Set(sorted.map((s) => s.camera))];
  await inTx(db, async (tx) => {
    // Every interval a segment may continue ends at or after the earliest start (less the jitter)
    // and starts at or before the latest one.
    const open = new Map<string, Open[]>();
    for (const ids of chunks(cameras, 1, dialect, 3)) {
      const rows = await tx
        .selectFrom('recordings')
        .select(['id', 'camera_id', 'stream', 'start_ms', 'end_ms'])
        .where('server_id', '=', server)
        .where('camera_id', 'in', ids)
        .where('end_ms', '>=', from)
        .where('start_ms', '<=', to)
        .execute();
      for (const r of rows)
        listOf(open, `${r.camera_id}\n${Number(r.stream)}`).push({
          id: Number(r.id),
          startMs: Number(r.start_ms),
          endMs: Number(r.end_ms),
          changed: false,
        });
    }
    const added: (Open & { camera: string; stream: number })[] = [];
    for (const s of sorted) {
      const stream = s.stream ?? 0;
      const list = listOf(open, `${s.camera}\n${stream}`);
      // The interval it continues: the one reaching furthest among those it touches.
      let prev: Open | undefined;
      for (const o of list)
        if (o.endMs >= s.startMs - MERGE_MS && o.startMs <= s.startMs && (!prev || o.endMs > prev.endMs)) prev = o;
      if (prev) {
        if (prev.endMs < s.endMs) Object.assign(prev, { endMs: s.endMs, changed: true });
      } else {
        const o = { camera: s.camera, stream, startMs: s.startMs, endMs: s.endMs, changed: false };
        list.push(o);
        added.push(o);
      }
    }
    const extended = [...open.values()].flat().filter((o) => o.id !== undefined && o.changed);
    // One statement sets each extended interval's end: CASE over ids (3 parameters an interval).
    await inChunks(extended, 3, dialect, (rows) =>
      tx
        .updateTable('recordings')
        .set({
          end_ms: sql<number>`case id ${sql.join(
            rows.map((o) => sql`when ${o.id} then cast(${o.endMs} as bigint)`),
            sql` `,
          )} end`,
        })
        .where(
          'id',
          'in',
          rows.map((o) => o.id!),
        )
        .execute(),
    );
    const inserts = added.map((o) => ({
      camera_id: o.camera,
      server_id: server,
      start_ms: o.startMs,
      end_ms: o.endMs,
      stream: o.stream,
    }));
    await inChunks(inserts, 5, dialect, (rows) => tx.insertInto('recordings').values(rows).execute());
    await insertSegmentRows(
      tx,
      dialect,
      server,
      sorted.map((s) => ({ ...s, stream: s.stream ?? 0 })),
    );
  });
}

/** Forgets a server's intervals of a camera stream inside [fromMs, toMs]: its footage was copied home and released there. */
export async function removeRecordings(
  db: Db,
  camera: string,
  server: string,
  fromMs: number,
  toMs: number,
  stream: number,
): Promise<number> {
  await db
    .deleteFrom('recording_segments')
    .where('camera_id', '=', camera)
    .where('server_id', '=', server)
    .where('stream', '=', stream)
    .where('start_ms', '>=', fromMs)
    .where('end_ms', '<=', toMs)
    .execute();
  const r = await db
    .deleteFrom('recordings')
    .where('camera_id', '=', camera)
    .where('server_id', '=', server)
    .where('stream', '=', stream)
    .where('start_ms', '>=', fromMs)
    .where('end_ms', '<=', toMs)
    .executeTakeFirst();
  return Number(r.numDeletedRows);
}

/** One camera stream's recorded intervals overlapping [fromMs, toMs), on every server. */
export async function recordings(
  db: Db,
  camera: string,
  fromMs: number,
  toMs: number,
  stream: number,
): Promise<Interval[]> {
  const rows = await db
    .selectFrom('recordings')
    .selectAll()
    .where('camera_id', '=', camera)
    .where('stream', '=', stream)
    .where('end_ms', '>', fromMs)
    .where('start_ms', '<', toMs)
    .orderBy('start_ms')
    .execute();
  return rows.map((r) => ({
    camera: r.camera_id,
    server: r.server_id,
    startMs: Number(r.start_ms),
    endMs: Number(r.end_ms),
  }));
}

function listOf<T>(m: Map<string, T[]>, key: string): T[] {
  const list = m.get(key);
  if (list) return list;
  const fresh: T[] = [];
  m.set(key, fresh);
  return fresh;
}
