import type { Db } from './db.ts';

/**
 * Keeps a join token (its hash) for `server`; the server's earlier unused tokens and every expired
 * one go: only the newest invitation of a server stands.
 */
export async function addJoinToken(
  db: Db,
  t: { hash: string; server: string; expiresAt: number },
  now: number,
): Promise<void> {
  await db.transaction().execute(async (tx) => {
    await tx.deleteFrom('join_tokens').where('expires_at', '<=', now).execute();
    await tx.deleteFrom('join_tokens').where('server', '=', t.server).where('used_at', 'is', null).execute();
    await tx.insertInto('join_tokens').values({ hash: t.hash, server: t.server, expires_at: t.expiresAt }).execute();
  });
}

/**
 * Uses a join token once: true when a token of this hash for `server`, unused and unexpired, was
 * there; it is marked used in the same statement, so two requests cannot both use it.
 */
export async function useJoinToken(db: Db, hash: string, server: string, now: number): Promise<boolean> {
  const r = await db
    .updateTable('join_tokens')
    .set({ used_at: now })
    .where('hash', '=', hash)
    .where('server', '=', server)
    .where('used_at', 'is', null)
    .where('expires_at', '>', now)
    .executeTakeFirst();
  return Number(r.numUpdatedRows) === 1;
}

/** Records `server`'s certificate fingerprint, replacing the one before (which stops being accepted). */
export async function setServerIdentity(db: Db, server: string, fingerprint: string, at: number): Promise<void> {
  await db
    .insertInto('server_identities')
    .values({ server, fingerprint, enrolled_at: at })
    .onConflict((oc) => oc.column('server').doUpdateSet({ fingerprint, enrolled_at: at }))
    .execute();
}

/** The fingerprint of `server`'s enrolled certificate; undefined when it never enrolled. */
export async function serverFingerprint(db: Db, server: string): Promise<string | undefined> {
  const r = await db
    .selectFrom('server_identities')
    .select('fingerprint')
    .where('server', '=', server)
    .executeTakeFirst();
  return r?.fingerprint;
}
