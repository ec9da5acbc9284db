import { inTx } from './in-tx.ts';
import type { Db, Dialect } from './db.ts';
import type { CameraRuntime } from './rows.ts';
import type { FailoverDetail, FailoverStatus } from './failover-log.ts';
import { inChunks } from './batch.ts';
import { bumpGeneration } from './generation.ts';

/**
 * Moves cameras to new servers in one transaction and bumps the farm generation: one statement per
 * target server (and chunk), not one per camera. A moved camera is not relayed any more (runtime
 * holds only the relay). When a camera is named twice, the last move wins.
 */
export function moveCameras(db: Db, dialect: Dialect, moves: { camera: string; to: string }[]): Promise<number> {
  return inTx(db, async (tx) => {
    for (const [to, cameras] of grouped(moves.map((m) => [m.camera, m.to])))
      await inChunks(
        cameras,
        1,
        dialect,
        (ids) => tx.updateTable('cameras').set({ current_server: to, runtime: '{}' }).where('id', 'in', ids).execute(),
        2,
      );
    return bumpGeneration(tx);
  });
}

/** Sets cameras' runtime (live-only relays) in one transaction and bumps the farm generation; the last change of a camera wins. */
export function setCameraRuntime(
  db: Db,
  dialect: Dialect,
  changes: { camera: string; runtime: CameraRuntime }[],
): Promise<number> {
  return inTx(db, async (tx) => {
    for (const [runtime, cameras] of grouped(changes.map((c) => [c.camera, JSON.stringify(c.runtime)])))
      await inChunks(
        cameras,
        1,
        dialect,
        (ids) => tx.updateTable('cameras').set({ runtime }).where('id', 'in', ids).execute(),
        1,
      );
    return bumpGeneration(tx);
  });
}

/** What a failover commits: cameras' new owners, live-only relays, and its log entry as committed. */
export interface CommitMoves {
  moves: { camera: string; to: string }[];
  relays: { camera: string; runtime: CameraRuntime }[];
  entry: { id: number; status: FailoverStatus; detail: Partial<FailoverDetail> };
}

/**
 * A failover's commit in one transaction: cameras moved, live-only ones relayed, and its log entry as
 * committed; the new generation. A master that dies at any instant leaves either all of it or none,
 * so the next leader knows from the entry whether the moves stand.
 */
export function commitMoves(db: Db, dialect: Dialect, c: CommitMoves): Promise<number> {
  return inTx(db, async (tx) => {
    let g = await bumpGeneration(tx);
    if (c.moves.length) g = await moveCameras(tx, dialect, c.moves);
    if (c.relays.length) g = await setCameraRuntime(tx, dialect, c.relays);
    await tx
      .updateTable('failovers')
      .set({ status: c.entry.status, detail: JSON.stringify(c.entry.detail) })
      .where('id', '=', c.entry.id)
      .execute();
    return g;
  });
}

/** Cameras by the value they get, each camera once with its last value. */
function grouped(pairs: [camera: string, value: string][]): Map<string, string[]> {
  const last = new Map(pairs);
  const out = new Map<string, string[]>();
  for (const [camera, value] of last) {
    const list = out.get(value);
    if (list) list.push(camera);
    else out.set(value, [camera]);
  }
  return out;
}
