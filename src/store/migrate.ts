import { setTimeout as delay } from 'node:timers/promises';
import { sql } from 'kysely';
import type { Db, Dialect } from './db.ts';
import { v4Auth } from './migrate-v4-auth.ts';
import { v5 } from './migrate-v5-identity.ts';
import { v6Audit } from './migrate-v6-audit.ts';
import { v7Segments } from './migrate-v7-segments.ts';
import { v8Lease } from './migrate-v8-lease.ts';

/** The PostgreSQL advisory lock migrations hold (any number, the same for every master). */
const MIGRATION_LOCK = 7_161_437;
/** How long a master waits for another's migration before it gives up starting. */
const MIGRATION_WAIT_MS = 30 * 60_000;

/**
 * Migrates the store, one master at a time: masters started together on a fresh PostgreSQL database
 * would both create the same tables, and one would fail. (SQLite has one master.)
 */
export async function migrateOnce(db: Db, dialect: Dialect): Promise<void> {
  if (dialect !== 'postgres') return migrate(db, dialect);
  await db.connection().execute(async (conn) => {
    // Polled: a blocking pg_advisory_lock would end at the client's query timeout (15 s) while
    // another master's migration of a large store runs on.
    const until = Date.now() + MIGRATION_WAIT_MS;
    for (;;) {
      const r = await sql<{ ok: boolean }>`select pg_try_advisory_lock(${MIGRATION_LOCK}) as ok`.execute(conn);
      if (r.rows[0]?.ok) break;
      if (Date.now() > until)
        throw new Error(`another master has been migrating the store for ${MIGRATION_WAIT_MS / 60_000} min`);
      await delay(200);
    }
    try {
      await migrate(conn, dialect);
    } finally {
      // The connection goes back to the pool: the lock must not stay with it. A failure here must
      // not hide the migration's own.
      await sql`select pg_advisory_unlock(${MIGRATION_LOCK})`.execute(conn).catch(() => undefined);
    }
  });
}

/** Creates the schema if missing. Versioned through meta.schema_version so later issues can add steps. */
export async function migrate(db: Db, dialect: Dialect): Promise<void> {
  await db.schema
    .createTable('meta')
    .ifNotExists()
    .addColumn('key', 'text', (c) => c.primaryKey())
    .addColumn('value', 'text', (c) => c.notNull())
    .execute();
  const v = await db.selectFrom('meta').select('value').where('key', '=', 'schema_version').executeTakeFirst();
  if (!v || Number(v.value) < 1) await v1(db, dialect);
  if (!v || Number(v.value) < 2) await v2(db);
  if (!v || Number(v.value) < 3) await v3(db);
  if (!v || Number(v.value) < 4) await v4Auth(db, dialect);
  if (!v || Number(v.value) < 5) await v5(db);
  if (!v || Number(v.value) < 6) await v6Audit(db, dialect);
  if (!v || Number(v.value) < 7) await v7Segments(db, dialect);
  if (!v || Number(v.value) < 8) await v8Lease(db);
}

/**
 * v3: failover settings of groups (policy, return behaviour, triggers, failover servers) as JSON
 * `options`, and `runtime` JSON on servers and cameras for what the master decides while running
 * (maintenance, swapped roles, a live-only relay), which a config change must not reset.
 */
async function v3(db: Db): Promise<void> {
  await db.transaction().execute(async (tx) => {
    await tx.schema
      .alterTable('groups')
      .addColumn('options', 'text', (c) => c.notNull().defaultTo('{}'))
      .execute();
    await tx.schema
      .alterTable('servers')
      .addColumn('runtime', 'text', (c) => c.notNull().defaultTo('{}'))
      .execute();
    await tx.schema
      .alterTable('cameras')
      .addColumn('runtime', 'text', (c) => c.notNull().defaultTo('{}'))
      .execute();
    await tx.updateTable('meta').set({ value: '3' }).where('key', '=', 'schema_version').execute();
  });
}

/**
 * v2: storage settings, streams and audio (JSON in `options`, as the config gives them), and the
 * stream of each recorded interval. Added columns with defaults: rows of v1 stay valid as they are.
 */
async function v2(db: Db): Promise<void> {
  await db.transaction().execute(async (tx) => {
    await tx.schema
      .alterTable('servers')
      .addColumn('options', 'text', (c) => c.notNull().defaultTo('{}'))
      .execute();
    await tx.schema
      .alterTable('cameras')
      .addColumn('options', 'text', (c) => c.notNull().defaultTo('{}'))
      .execute();
    await tx.schema
      .alterTable('recordings')
      .addColumn('stream', 'integer', (c) => c.notNull().defaultTo(0))
      .execute();
    await tx.updateTable('meta').set({ value: '2' }).where('key', '=', 'schema_version').execute();
  });
}

async function v1(db: Db, dialect: Dialect): Promise<void> {
  const serial = dialect === 'postgres' ? 'bigserial' : 'integer';
  await db.transaction().execute(async (tx) => {
    await tx.schema
      .createTable('settings')
      .addColumn('key', 'text', (c) => c.primaryKey())
      .addColumn('value', 'text', (c) => c.notNull())
      .execute();
    await tx.schema
      .createTable('groups')
      .addColumn('id', 'integer', (c) => c.primaryKey())
      .addColumn('redundancy', 'integer', (c) => c.notNull())
      .execute();
    await tx.schema
      .createTable('servers')
      .addColumn('id', 'text', (c) => c.primaryKey())
      .addColumn('group_id', 'integer', (c) => c.notNull())
      .addColumn('host', 'text', (c) => c.notNull())
      .addColumn('udp_port', 'integer')
      .addColumn('state', 'text', (c) => c.notNull().defaultTo('up'))
      .addColumn('down_since', 'bigint')
      .execute();
    await tx.schema
      .createTable('cameras')
      .addColumn('id', 'text', (c) => c.primaryKey())
      .addColumn('url', 'text', (c) => c.notNull())
      .addColumn('home_server', 'text', (c) => c.notNull())
      .addColumn('current_server', 'text', (c) => c.notNull())
      .addColumn('movable', 'integer', (c) => c.notNull())
      .execute();
    await tx.schema
      .createTable('failovers')
      .addColumn('id', serial, (c) => (dialect === 'sqlite' ? c.primaryKey().autoIncrement() : c.primaryKey()))
      .addColumn('started_at', 'bigint', (c) => c.notNull())
      .addColumn('server_id', 'text', (c) => c.notNull())
      .addColumn('group_id', 'integer', (c) => c.notNull())
      .addColumn('trigger', 'text', (c) => c.notNull())
      .addColumn('status', 'text', (c) => c.notNull())
      .addColumn('detail', 'text', (c) => c.notNull())
      .execute();
    await tx.schema
      .createTable('recordings')
      .addColumn('id', serial, (c) => (dialect === 'sqlite' ? c.primaryKey().autoIncrement() : c.primaryKey()))
      .addColumn('camera_id', 'text', (c) => c.notNull())
      .addColumn('server_id', 'text', (c) => c.notNull())
      .addColumn('start_ms', 'bigint', (c) => c.notNull())
      .addColumn('end_ms', 'bigint', (c) => c.notNull())
      .execute();
    await tx.schema.createIndex('recordings_camera_end').on('recordings').columns(['camera_id', 'end_ms']).execute();
    await tx
      .insertInto('meta')
      .values([
        { key: 'schema_version', value: '1' },
        { key: 'generation', value: '1' },
        { key: 'term', value: '1' },
      ])
      .execute();
  });
}
