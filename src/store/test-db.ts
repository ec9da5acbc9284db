import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { Store } from './store.ts';

/**
 * A throwaway store location for tests: a SQLite file in a temp dir, or, when `server` (by default
 * VIGIL_DB) names a PostgreSQL server, a fresh database created on it. `drop()` removes either.
 */
export async function testDbLocation(
  server = process.env.VIGIL_DB,
): Promise<{ location: string; drop: () => Promise<void> }> {
  if (server && /^postgres(ql)?:\/\//.test(server)) {
    const name = `vigil_test_${randomBytes(6).toString('hex')}`;
    const admin = new pg.Client({ connectionString: server });
    await admin.connect();
    await admin.query(`CREATE DATABASE ${name}`);
    await admin.end();
    const url = new URL(server);
    url.pathname = `/${name}`;
    return {
      location: url.toString(),
      drop: async () => {
        const c = new pg.Client({ connectionString: server });
        await c.connect();
        await c.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
        await c.end();
      },
    };
  }
  const dir = mkdtempSync(join(tmpdir(), 'vigil-store-'));
  return { location: join(dir, 'farm.sqlite'), drop: async () => rmSync(dir, { recursive: true, force: true }) };
}

/** Runs `fn` on a store opened on a throwaway location (testDbLocation), closed and dropped after, even on failure. */
export async function withTestStore(fn: (s: Store) => Promise<void>): Promise<void> {
  const { location, drop } = await testDbLocation();
  const store = await Store.open(location);
  try {
    await fn(store);
  } finally {
    await store.close();
    await drop();
  }
}
