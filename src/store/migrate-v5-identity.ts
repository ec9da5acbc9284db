import type { Db } from './db.ts';

/**
 * v5: each server's enrolled identity (the SHA-256 fingerprint of its one valid certificate: a new
 * enrollment replaces it, and the old certificate stops working) and the one-time join tokens
 * (only their hash, the server they enroll, when they expire, when they were used).
 */
export async function v5(db: Db): Promise<void> {
  await db.transaction().execute(async (tx) => {
    await tx.schema
      .createTable('server_identities')
      .addColumn('server', 'text', (c) => c.primaryKey())
      .addColumn('fingerprint', 'text', (c) => c.notNull())
      .addColumn('enrolled_at', 'bigint', (c) => c.notNull())
      .execute();
    await tx.schema
      .createTable('join_tokens')
      .addColumn('hash', 'text', (c) => c.primaryKey())
      .addColumn('server', 'text', (c) => c.notNull())
      .addColumn('expires_at', 'bigint', (c) => c.notNull())
      .addColumn('used_at', 'bigint')
      .execute();
    await tx.updateTable('meta').set({ value: '5' }).where('key', '=', 'schema_version').execute();
  });
}
