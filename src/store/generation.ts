import type { Db } from './db.ts';

/** Bumps the farm generation (every change the nodes must hear about) on the caller's transaction; returns the new one. */
export async function bumpGeneration(tx: Db): Promise<number> {
  const cur = await tx.selectFrom('meta').select('value').where('key', '=', 'generation').executeTakeFirstOrThrow();
  const next = Number(cur.value) + 1;
  await tx
    .updateTable('meta')
    .set({ value: String(next) })
    .where('key', '=', 'generation')
    .execute();
  return next;
}
