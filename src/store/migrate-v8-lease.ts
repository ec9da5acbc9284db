import type { Db } from './db.ts';

/**
 * v8: the masters' lease, one row (id 1): which master leads (`holder`, the boot id of its process;
 * `holder_id` and `holder_url` name it), under which `term` (incremented by each new leader), and
 * until when (`expires_at`, the database's clock in ms). Every write of the controller checks it in
 * its own transaction (fencing, lease.ts). `masters` lists every master that watches the lease, with
 * the database time it was last seen: what the API shows as the masters of the farm.
 */
export async function v8Lease(db: Db): Promise<void> {
  await db.transaction().execute(async (tx) => {
    await tx.schema
      .createTable('master_lease')
      .addColumn('id', 'integer', (c) => c.primaryKey())
      .addColumn('holder', 'text')
      .addColumn('holder_id', 'text')
      .addColumn('holder_url', 'text')
      .addColumn('term', 'bigint', (c) => c.notNull())
      .addColumn('expires_at', 'bigint', (c) => c.notNull())
      .addColumn('acquired_at', 'bigint', (c) => c.notNull())
      .execute();
    // The term goes on from the one assignments carried before (meta.term, always 1 until now).
    const t = await tx.selectFrom('meta').select('value').where('key', '=', 'term').executeTakeFirst();
    await tx
      .insertInto('master_lease')
      .values({
        id: 1,
        holder: null,
        holder_id: null,
        holder_url: null,
        term: Number(t?.value ?? 1),
        expires_at: 0,
        acquired_at: 0,
      })
      .execute();
    await tx.schema
      .createTable('masters')
      .addColumn('id', 'text', (c) => c.primaryKey())
      .addColumn('url', 'text', (c) => c.notNull())
      .addColumn('boot_id', 'text', (c) => c.notNull())
      .addColumn('version', 'text', (c) => c.notNull())
      .addColumn('seen_at', 'bigint', (c) => c.notNull())
      .execute();
    await tx.updateTable('meta').set({ value: '8' }).where('key', '=', 'schema_version').execute();
  });
}
