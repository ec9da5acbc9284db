import type { Db, Dialect } from './db.ts';

/**
 * v4: people and their credentials (issue 10). `users` by name with role and scrypt hash;
 * `sessions` (browser and CLI logins) and `api_tokens` (named, for scripts) keep only the SHA-256
 * of their secret. Times are epoch ms. No foreign keys (SQLite enforces them only when asked on
 * each connection): the store deletes a user's sessions and tokens with it, in one transaction.
 */
export async function v4Auth(db: Db, dialect: Dialect): Promise<void> {
  const serial = dialect === 'postgres' ? 'bigserial' : 'integer';
  await db.transaction().execute(async (tx) => {
    await tx.schema
      .createTable('users')
      .addColumn('name', 'text', (c) => c.primaryKey())
      .addColumn('role', 'text', (c) => c.notNull())
      .addColumn('password_hash', 'text', (c) => c.notNull())
      .addColumn('created_at', 'bigint', (c) => c.notNull())
      .addColumn('disabled', 'integer', (c) => c.notNull().defaultTo(0))
      .execute();
    await tx.schema
      .createTable('sessions')
      .addColumn('hash', 'text', (c) => c.primaryKey())
      .addColumn('user_name', 'text', (c) => c.notNull())
      .addColumn('created_at', 'bigint', (c) => c.notNull())
      .addColumn('expires_at', 'bigint', (c) => c.notNull())
      .addColumn('last_seen_at', 'bigint', (c) => c.notNull())
      .execute();
    await tx.schema.createIndex('sessions_user').on('sessions').column('user_name').execute();
    await tx.schema
      .createTable('api_tokens')
      .addColumn('id', serial, (c) => (dialect === 'sqlite' ? c.primaryKey().autoIncrement() : c.primaryKey()))
      .addColumn('hash', 'text', (c) => c.notNull().unique())
      .addColumn('name', 'text', (c) => c.notNull())
      .addColumn('user_name', 'text', (c) => c.notNull())
      .addColumn('role', 'text', (c) => c.notNull())
      .addColumn('created_at', 'bigint', (c) => c.notNull())
      .addColumn('expires_at', 'bigint')
      .addColumn('last_used_at', 'bigint')
      .addColumn('revoked_at', 'bigint')
      .execute();
    await tx.schema.createIndex('api_tokens_user').on('api_tokens').column('user_name').execute();
    await tx.updateTable('meta').set({ value: '4' }).where('key', '=', 'schema_version').execute();
  });
}
