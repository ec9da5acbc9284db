import type { Db, Dialect } from './db.ts';

/**
 * v6: the audit log, one row per request worth recording (every change, every export, every
 * login attempt): who, from where, what, and the answer. Only appended; read newest first by id,
 * filtered by time and actor (hence the two indexes).
 */
export async function v6Audit(db: Db, dialect: Dialect): Promise<void> {
  const serial = dialect === 'postgres' ? 'bigserial' : 'integer';
  await db.transaction().execute(async (tx) => {
    await tx.schema
      .createTable('audit')
      .addColumn('id', serial, (c) => (dialect === 'sqlite' ? c.primaryKey().autoIncrement() : c.primaryKey()))
      .addColumn('at', 'bigint', (c) => c.notNull())
      .addColumn('actor', 'text', (c) => c.notNull())
      .addColumn('address', 'text', (c) => c.notNull())
      .addColumn('method', 'text', (c) => c.notNull())
      .addColumn('route', 'text', (c) => c.notNull())
      .addColumn('target', 'text')
      .addColumn('params', 'text', (c) => c.notNull().defaultTo('{}'))
      .addColumn('summary', 'text')
      .addColumn('status', 'integer', (c) => c.notNull())
      .execute();
    await tx.schema.createIndex('audit_at').on('audit').column('at').execute();
    await tx.schema.createIndex('audit_actor').on('audit').columns(['actor', 'id']).execute();
    await tx.updateTable('meta').set({ value: '6' }).where('key', '=', 'schema_version').execute();
  });
}
