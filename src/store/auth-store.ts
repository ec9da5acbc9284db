import type { Selectable } from 'kysely';
import type { Db, Tables } from './db.ts';
import type { Role } from '../auth/principal.ts';

/** A person as the store keeps them (the password only as its scrypt hash). */
export interface UserRow {
  name: string;
  role: Role;
  passwordHash: string;
  createdAt: number;
  disabled: boolean;
}

/** A login session: the SHA-256 of its secret, whose it is, and its times (epoch ms). */
export interface SessionRow {
  hash: string;
  user: string;
  createdAt: number;
  /** The absolute end, whatever the use. */
  expiresAt: number;
  lastSeenAt: number;
}

/** A named API token (its secret only as SHA-256); `role` is at most its user's. */
export interface ApiTokenRow {
  id: number;
  name: string;
  user: string;
  role: Role;
  createdAt: number;
  expiresAt: number | null;
  lastUsedAt: number | null;
  revokedAt: number | null;
}

/** What the authentication hook needs of a credential's user, read with the credential in one query. */
export interface CredentialUser {
  userRole: Role;
  userDisabled: boolean;
}

/** Why a change of users was refused by the store. */
export type UserChangeRefusal = 'not-found' | 'last-admin';

const user = (r: Selectable<Tables['users']>): UserRow => ({
  name: r.name,
  role: r.role as Role,
  passwordHash: r.password_hash,
  createdAt: Number(r.created_at),
  disabled: Number(r.disabled) !== 0,
});

const token = (r: Omit<Selectable<Tables['api_tokens']>, 'hash'>): ApiTokenRow => ({
  id: Number(r.id),
  name: r.name,
  user: r.user_name,
  role: r.role as Role,
  createdAt: Number(r.created_at),
  expiresAt: r.expires_at === null ? null : Number(r.expires_at),
  lastUsedAt: r.last_used_at === null ? null : Number(r.last_used_at),
  revokedAt: r.revoked_at === null ? null : Number(r.revoked_at),
});

/** Adds a user; false (and nothing changed) when the name is taken. */
export async function createUser(db: Db, u: Omit<UserRow, 'disabled'>): Promise<boolean> {
  const r = await db
    .insertInto('users')
    .values({ name: u.name, role: u.role, password_hash: u.passwordHash, created_at: u.createdAt })
    .onConflict((oc) => oc.column('name').doNothing())
    .executeTakeFirst();
  return Number(r.numInsertedOrUpdatedRows ?? 0) === 1;
}

/** One user by name. */
export async function findUser(db: Db, name: string): Promise<UserRow | undefined> {
  const r = await db.selectFrom('users').selectAll().where('name', '=', name).executeTakeFirst();
  return r && user(r);
}

/** Every user, by name. */
export async function listUsers(db: Db): Promise<UserRow[]> {
  return (await db.selectFrom('users').selectAll().orderBy('name').execute()).map(user);
}

/** How many users there are (0: the farm is not set up yet). */
export async function countUsers(db: Db): Promise<number> {
  const r = await db
    .selectFrom('users')
    .select((e) => e.fn.countAll().as('n'))
    .executeTakeFirstOrThrow();
  return Number(r.n);
}

/**
 * Changes a user's role, password hash or disabled flag. A new password or a disabling ends the
 * user's sessions (in the same transaction). Refused when the user is not there, or when the
 * change would leave the farm without an enabled admin.
 */
export async function updateUser(
  db: Db,
  name: string,
  change: { role?: Role; passwordHash?: string; disabled?: boolean },
): Promise<UserChangeRefusal | undefined> {
  return db.transaction().execute(async (tx) => {
    const before = await tx.selectFrom('users').selectAll().where('name', '=', name).executeTakeFirst();
    if (!before) return 'not-found';
    const was = user(before);
    const after = { role: change.role ?? was.role, disabled: change.disabled ?? was.disabled };
    if (isAdmin(was) && !isAdmin(after) && (await enabledAdmins(tx)) <= 1) return 'last-admin';
    await tx
      .updateTable('users')
      .set({
        ...(change.role && { role: change.role }),
        ...(change.passwordHash && { password_hash: change.passwordHash }),
        ...(change.disabled !== undefined && { disabled: change.disabled ? 1 : 0 }),
      })
      .where('name', '=', name)
      .execute();
    if (change.passwordHash || change.disabled) await tx.deleteFrom('sessions').where('user_name', '=', name).execute();
    return undefined;
  });
}

/** Removes a user with their sessions and API tokens; refused for the last enabled admin. */
export async function deleteUser(db: Db, name: string): Promise<UserChangeRefusal | undefined> {
  return db.transaction().execute(async (tx) => {
    const before = await tx.selectFrom('users').selectAll().where('name', '=', name).executeTakeFirst();
    if (!before) return 'not-found';
    if (isAdmin(user(before)) && (await enabledAdmins(tx)) <= 1) return 'last-admin';
    await tx.deleteFrom('sessions').where('user_name', '=', name).execute();
    await tx.deleteFrom('api_tokens').where('user_name', '=', name).execute();
    await tx.deleteFrom('users').where('name', '=', name).execute();
    return undefined;
  });
}

const isAdmin = (u: Pick<UserRow, 'role' | 'disabled'>) => u.role === 'admin' && !u.disabled;

async function enabledAdmins(db: Db): Promise<number> {
  const r = await db
    .selectFrom('users')
    .select((e) => e.fn.countAll().as('n'))
    .where('role', '=', 'admin')
    .where('disabled', '=', 0)
    .executeTakeFirstOrThrow();
  return Number(r.n);
}

/** Keeps a new session. */
export async function createSession(db: Db, s: SessionRow): Promise<void> {
  await db
    .insertInto('sessions')
    .values({
      hash: s.hash,
      user_name: s.user,
      created_at: s.createdAt,
      expires_at: s.expiresAt,
      last_seen_at: s.lastSeenAt,
    })
    .execute();
}

/** A session by the hash of its secret, with its user's role and state; undefined when unknown or its user is gone. */
export async function findSession(db: Db, hash: string): Promise<(SessionRow & CredentialUser) | undefined> {
  const r = await db
    .selectFrom('sessions')
    .innerJoin('users', 'users.name', 'sessions.user_name')
    .select([
      'sessions.hash',
      'sessions.user_name',
      'sessions.created_at',
      'sessions.expires_at',
      'sessions.last_seen_at',
      'users.role',
      'users.disabled',
    ])
    .where('sessions.hash', '=', hash)
    .executeTakeFirst();
  return (
    r && {
      hash: r.hash,
      user: r.user_name,
      createdAt: Number(r.created_at),
      expiresAt: Number(r.expires_at),
      lastSeenAt: Number(r.last_seen_at),
      userRole: r.role as Role,
      userDisabled: Number(r.disabled) !== 0,
    }
  );
}

/** Records that a session was used at `at` (its idle expiry counts from there). */
export async function touchSession(db: Db, hash: string, at: number): Promise<void> {
  await db.updateTable('sessions').set({ last_seen_at: at }).where('hash', '=', hash).execute();
}

/** Ends one session (logout, or found expired). */
export async function deleteSession(db: Db, hash: string): Promise<void> {
  await db.deleteFrom('sessions').where('hash', '=', hash).execute();
}

/** Removes sessions past their absolute end or idle since before `idleSince`; how many went. */
export async function deleteStaleSessions(db: Db, now: number, idleSince: number): Promise<number> {
  const r = await db
    .deleteFrom('sessions')
    .where((e) => e.or([e('expires_at', '<=', now), e('last_seen_at', '<', idleSince)]))
    .executeTakeFirst();
  return Number(r.numDeletedRows);
}

/** Keeps a new API token (by the hash of its secret); its id. */
export async function createApiToken(
  db: Db,
  t: Pick<ApiTokenRow, 'name' | 'user' | 'role' | 'createdAt' | 'expiresAt'> & { hash: string },
): Promise<number> {
  const r = await db
    .insertInto('api_tokens')
    .values({
      hash: t.hash,
      name: t.name,
      user_name: t.user,
      role: t.role,
      created_at: t.createdAt,
      expires_at: t.expiresAt,
    })
    .returning('id')
    .executeTakeFirstOrThrow();
  return Number(r.id);
}

/** An API token by the hash of its secret, with its user's role and state (revoked and expired ones too: the caller judges). */
export async function findApiToken(db: Db, hash: string): Promise<(ApiTokenRow & CredentialUser) | undefined> {
  const r = await db
    .selectFrom('api_tokens')
    .innerJoin('users', 'users.name', 'api_tokens.user_name')
    .select([
      'api_tokens.id',
      'api_tokens.name',
      'api_tokens.user_name',
      'api_tokens.role',
      'api_tokens.created_at',
      'api_tokens.expires_at',
      'api_tokens.last_used_at',
      'api_tokens.revoked_at',
      'users.role as user_role',
      'users.disabled as user_disabled',
    ])
    .where('api_tokens.hash', '=', hash)
    .executeTakeFirst();
  return r && { ...token(r), userRole: r.user_role as Role, userDisabled: Number(r.user_disabled) !== 0 };
}

/** Every API token (revoked ones too), oldest first. */
export async function listApiTokens(db: Db): Promise<ApiTokenRow[]> {
  const rows = await db.selectFrom('api_tokens').selectAll().orderBy('id').execute();
  return rows.map(token);
}

/** Records that a token was used at `at`. */
export async function touchApiToken(db: Db, id: number, at: number): Promise<void> {
  await db.updateTable('api_tokens').set({ last_used_at: at }).where('id', '=', id).execute();
}

/** Revokes a token at `at`; false when there is no such token or it was revoked already. */
export async function revokeApiToken(db: Db, id: number, at: number): Promise<boolean> {
  const r = await db
    .updateTable('api_tokens')
    .set({ revoked_at: at })
    .where('id', '=', id)
    .where('revoked_at', 'is', null)
    .executeTakeFirst();
  return Number(r.numUpdatedRows) === 1;
}
