import { sql } from 'kysely';
import type { Db, Dialect } from './db.ts';
import { isSealed, sealUrl } from './secret-url.ts';
import { passwordSpan } from '../lib/redact.ts';

/** Whether a stored URL still holds its password in clear. */
function plain(url: string): boolean {
  return !!passwordSpan(url) && !isSealed(url);
}

/**
 * Seals the camera passwords an older version kept in clear (main and further streams' URLs), in
 * one transaction; run at each open with the key, a no-op once every row is sealed. Returns how
 * many cameras it rewrote. On SQLite the plain text must not linger in the file's free space or the
 * WAL: the rewrite runs with secure_delete (freed content zeroed) and the WAL is truncated after.
 * (PostgreSQL keeps dead row versions until VACUUM; docs/security.md says to run one.)
 */
export async function sealPlainUrls(db: Db, dialect: Dialect, key: Buffer): Promise<number> {
  const rows = await db.selectFrom('cameras').select(['id', 'url', 'options']).execute();
  const todo = rows.filter(
    (r) => plain(r.url) || (JSON.parse(r.options) as Options).streams?.some((st) => plain(st.url)),
  );
  if (!todo.length) return 0;
  if (dialect === 'sqlite') await sql`PRAGMA secure_delete = ON`.execute(db);
  try {
    await db.transaction().execute(async (tx) => {
      for (const r of todo) {
        const options = JSON.parse(r.options) as Options;
        if (options.streams) options.streams = options.streams.map((st) => ({ ...st, url: sealUrl(st.url, key) }));
        await tx
          .updateTable('cameras')
          .set({ url: sealUrl(r.url, key), options: JSON.stringify(options) })
          .where('id', '=', r.id)
          .execute();
      }
    });
    if (dialect === 'sqlite') await sql`PRAGMA wal_checkpoint(TRUNCATE)`.execute(db);
  } finally {
    if (dialect === 'sqlite') await sql`PRAGMA secure_delete = OFF`.execute(db);
  }
  return todo.length;
}

type Options = { streams?: { url: string }[] };
