import type { Selectable } from 'kysely';
import type { Db, Dialect, Tables } from './db.ts';
import { openDb } from './db.ts';
import { migrateOnce } from './migrate.ts';
import type { FarmConfig } from '../config/farm-config.ts';
import type { FailoverDetail, FailoverStatus } from './failover-log.ts';
import type { FailoverRow, FarmSnapshot, ServerRuntime, ServerState, CameraRuntime, Interval } from './rows.ts';
export type { ApiTokenRow, CredentialUser, SessionRow, UserChangeRefusal, UserRow } from './auth-store.ts';
import { applyConfig } from './config-apply.ts';
import { bumpGeneration } from './generation.ts';
import { commitMoves, moveCameras, setCameraRuntime, type CommitMoves } from './placement.ts';
import { addRecordings, recordings, removeRecordings, type Segment } from './recordings.ts';
import { removeSegments, segmentRows, type RemovedSegment, type SegmentRow } from './recording-segments.ts';
import { readSnapshot } from './snapshot.ts';
import { appendAudit, listAudit, type AuditEntry, type AuditQuery } from './audit.ts';
import { pageOf, type Page, type PageQuery } from './page.ts';
import * as auth from './auth-store.ts';
import type { ApiTokenRow, CredentialUser, SessionRow, UserChangeRefusal, UserRow } from './auth-store.ts';
import type { Role } from '../auth/principal.ts';
import { sealPlainUrls } from './seal-urls.ts';
import { addJoinToken, serverFingerprint, setServerIdentity, useJoinToken } from './identities.ts';
import { checkFence, Leases, type Fence } from './lease.ts';
import { VigilError } from '../lib/errors.ts';

/** How a Store is opened. */
export interface StoreOptions {
  /** Seals camera passwords at rest (AES-256-GCM): storeSecretKey(farmKey). */
  secretKey?: Buffer;
  /** A pooled PostgreSQL connection lost while idle (reported; the next query reconnects). */
  onConnectionError?: (err: Error) => void;
}

export type {
  CameraRow,
  CameraRuntime,
  FailoverRow,
  FarmSnapshot,
  GroupRow,
  Interval,
  ServerRow,
  ServerRuntime,
  ServerState,
} from './rows.ts';

/**
 * The farm store: configuration, camera ownership, failover log and the recording catalogue. Each
 * concept's statements live in a file of its own (config-apply, placement, recordings, snapshot);
 * writes of many rows go in chunks under the engine's parameter limit (batch.ts).
 */
export class Store {
  private credentialChanges = 0;
  /**
   * The leader's claim its writes are checked against (fencing): set by the master that holds the
   * lease, unset on a standby, which writes none of the farm's state. `refused` hears a write the
   * fence refused (the lease is another's now), once per refusal.
   */
  fence: (Fence & { refused?: () => void }) | undefined;

  /** The masters' lease: one leader at a time, by the database's clock (lease.ts). */
  readonly leases: Leases;

  private constructor(
    readonly db: Db,
    readonly dialect: Dialect,
    private readonly secretKey: Buffer | undefined,
  ) {
    this.leases = new Leases(db, dialect);
  }

  /**
   * Opens (and migrates) the store. With `secretKey` (storeSecretKey(farmKey): the master's) camera
   * passwords are kept sealed and read back opened, and the plain ones an older version left are
   * sealed now; without it, a store holding passwords can be opened for other work (users, say)
   * but neither reads nor writes them.
   */
  static async open(location: string, o: StoreOptions = {}): Promise<Store> {
    const { db, dialect } = openDb(location, o.onConnectionError);
    try {
      await migrateOnce(db, dialect);
      if (o.secretKey) await sealPlainUrls(db, dialect, o.secretKey);
    } catch (err) {
      await db.destroy();
      throw err;
    }
    return new Store(db, dialect, o.secretKey);
  }

  async close(): Promise<void> {
    await this.db.destroy();
  }

  /**
   * A write of the farm's state (the controller's): in one transaction that first checks the fence,
   * when one is set, so a master whose lease is over writes nothing (lease.ts checkFence).
   */
  private write<T>(fn: (db: Db) => Promise<T>): Promise<T> {
    const fence = this.fence;
    if (!fence) return fn(this.db);
    return this.db
      .transaction()
      .execute(async (tx) => {
        await checkFence(tx, this.dialect, fence);
        return fn(tx);
      })
      .catch((err: unknown) => {
        if (err instanceof VigilError && err.code === 'NOT_LEADER') fence.refused?.();
        throw err;
      });
  }

  /** The whole farm state: settings, groups, servers, cameras, generation and term. */
  async snapshot(): Promise<FarmSnapshot> {
    return readSnapshot(this.db, this.secretKey);
  }

  /**
   * Replaces the configuration in one transaction. A camera that already runs somewhere else
   * after a failover stays there unless its home server changed or its current server is gone.
   */
  async applyConfig(c: FarmConfig): Promise<void> {
    await this.write((db) => applyConfig(db, this.dialect, c, this.secretKey));
  }

  async setServerState(id: string, state: ServerState, downSince: number | null): Promise<void> {
    await this.write((db) =>
      db.updateTable('servers').set({ state, down_since: downSince }).where('id', '=', id).execute(),
    );
  }

  async setServerRuntime(id: string, runtime: ServerRuntime): Promise<void> {
    await this.write((db) =>
      db
        .updateTable('servers')
        .set({ runtime: JSON.stringify(runtime) })
        .where('id', '=', id)
        .execute(),
    );
  }

  /** Sets cameras' runtime (live-only relays) in one transaction and bumps the farm generation. */
  async setCameraRuntime(changes: { camera: string; runtime: CameraRuntime }[]): Promise<number> {
    return this.write((db) => setCameraRuntime(db, this.dialect, changes));
  }

  /** Moves cameras to new servers in one transaction and bumps the farm generation. */
  async moveCameras(moves: { camera: string; to: string }[]): Promise<number> {
    return this.write((db) => moveCameras(db, this.dialect, moves));
  }

  /** A failover's commit in one transaction: moves, relays and its log entry as committed (placement.ts). */
  async commitMoves(c: CommitMoves): Promise<number> {
    return this.write((db) => commitMoves(db, this.dialect, c));
  }

  async bumpGeneration(): Promise<number> {
    return this.write((tx) => bumpGeneration(tx));
  }

  /** Adds an entry to the failover log; returns its id. The store keeps the detail as it is given. */
  async insertFailover(f: Omit<FailoverRow, 'id' | 'detail'> & { detail: Partial<FailoverDetail> }): Promise<number> {
    const r = await this.write((db) =>
      db
        .insertInto('failovers')
        .values({
          started_at: f.startedAt,
          server_id: f.server,
          group_id: f.group,
          trigger: f.trigger,
          status: f.status,
          detail: JSON.stringify(f.detail),
        })
        .returning('id')
        .executeTakeFirstOrThrow(),
    );
    return Number(r.id);
  }

  /** Sets the status and detail of an entry of the failover log. */
  async updateFailover(id: number, status: FailoverStatus, detail: Partial<FailoverDetail>): Promise<void> {
    await this.write((db) =>
      db
        .updateTable('failovers')
        .set({ status, detail: JSON.stringify(detail) })
        .where('id', '=', id)
        .execute(),
    );
  }

  /** One entry of the failover log, without reading the others. */
  async failover(id: number): Promise<FailoverRow | undefined> {
    const r = await this.db.selectFrom('failovers').selectAll().where('id', '=', id).executeTakeFirst();
    return r && failoverRow(r);
  }

  /** The whole failover log, oldest first (the controller's restore at start; the API reads pages). */
  async failovers(): Promise<FailoverRow[]> {
    const rows = await this.db.selectFrom('failovers').selectAll().orderBy('id').execute();
    return rows.map(failoverRow);
  }

  /** A page of the failover log: the newest `limit` entries older than `before`, oldest first. */
  async failoverPage(q: PageQuery): Promise<Page<FailoverRow>> {
    let s = this.db.selectFrom('failovers').selectAll();
    if (q.before !== undefined) s = s.where('id', '<', q.before);
    const rows = await s
      .orderBy('id', 'desc')
      .limit(q.limit + 1)
      .execute();
    return pageOf(rows.map(failoverRow), q.limit);
  }

  /** The failover log's entries started in [fromMs, toMs], oldest first, at most `limit` (the newest of them). */
  async failoversStarted(fromMs: number, toMs: number, limit = 1000): Promise<FailoverRow[]> {
    const rows = await this.db
      .selectFrom('failovers')
      .selectAll()
      .where('started_at', '>=', fromMs)
      .where('started_at', '<=', toMs)
      .orderBy('id', 'desc')
      .limit(limit)
      .execute();
    return rows.map(failoverRow).reverse();
  }

  /** Adds an entry to the audit log; returns its id. */
  async appendAudit(e: Omit<AuditEntry, 'id'>): Promise<number> {
    return appendAudit(this.db, e);
  }

  /** A page of the audit log (time range, actor), oldest first. */
  async audit(q: AuditQuery): Promise<Page<AuditEntry>> {
    return listAudit(this.db, q);
  }

  /** Adds recorded segments to the catalogue, extending the interval each one continues (per camera stream). */
  async addRecordings(server: string, segments: Segment[]): Promise<void> {
    await this.write((db) => addRecordings(db, this.dialect, server, segments));
  }

  /** Forgets a server's intervals of a camera stream inside [fromMs, toMs]: its footage was copied home and released there. */
  async removeRecordings(camera: string, server: string, fromMs: number, toMs: number, stream = 0): Promise<number> {
    return this.write((db) => removeRecordings(db, camera, server, fromMs, toMs, stream));
  }

  /** Forgets segments a server no longer holds, and their time in its intervals; returns how many rows went. */
  async removeSegments(server: string, removed: readonly RemovedSegment[]): Promise<number> {
    return this.write((db) => removeSegments(db, this.dialect, server, removed));
  }

  /** A camera stream's reported segments overlapping [fromMs, toMs), of every server or of `server`. */
  async segments(camera: string, fromMs: number, toMs: number, stream = 0, server?: string): Promise<SegmentRow[]> {
    return segmentRows(this.db, camera, stream, fromMs, toMs, server);
  }

  /** One camera stream's recorded intervals overlapping [fromMs, toMs), on every server. */
  async recordings(camera: string, fromMs: number, toMs: number, stream = 0): Promise<Interval[]> {
    return recordings(this.db, camera, fromMs, toMs, stream);
  }

  // People and their credentials (auth-store.ts): users, login sessions, API tokens.

  /**
   * Counts this store's changes that may end or lower a credential (a user changed or removed, a
   * session ended, a token revoked): a cache of credentials is valid while it stays the same.
   */
  get credentialsChanged(): number {
    return this.credentialChanges;
  }

  /** Counts a change of credentials once it is written (a read meanwhile is then not kept: CredentialCache). */
  private async changingCredentials<T>(write: Promise<T>): Promise<T> {
    try {
      return await write;
    } finally {
      this.credentialChanges++;
    }
  }

  /** Adds a user; false when the name is taken. */
  async createUser(u: Omit<UserRow, 'disabled'>): Promise<boolean> {
    return auth.createUser(this.db, u);
  }

  /** One user by name. */
  async user(name: string): Promise<UserRow | undefined> {
    return auth.findUser(this.db, name);
  }

  /** Every user, by name. */
  async users(): Promise<UserRow[]> {
    return auth.listUsers(this.db);
  }

  /** How many users there are (0 until the first admin is made). */
  async userCount(): Promise<number> {
    return auth.countUsers(this.db);
  }

  /** Changes a user's role, password or disabled flag (a new password or disabling ends their sessions); refused for an unknown user or the last admin. */
  async updateUser(
    name: string,
    change: { role?: Role; passwordHash?: string; disabled?: boolean },
  ): Promise<UserChangeRefusal | undefined> {
    return this.changingCredentials(auth.updateUser(this.db, name, change));
  }

  /** Removes a user with their sessions and tokens; refused for an unknown user or the last admin. */
  async deleteUser(name: string): Promise<UserChangeRefusal | undefined> {
    return this.changingCredentials(auth.deleteUser(this.db, name));
  }

  /** Keeps a new login session (by the hash of its secret). */
  async createSession(s: SessionRow): Promise<void> {
    await auth.createSession(this.db, s);
  }

  /** A session by the hash of its secret, with its user's role and state. */
  async session(hash: string): Promise<(SessionRow & CredentialUser) | undefined> {
    return auth.findSession(this.db, hash);
  }

  /** Records a session's use at `at`. */
  async touchSession(hash: string, at: number): Promise<void> {
    await auth.touchSession(this.db, hash, at);
  }

  /** Ends a session. */
  async deleteSession(hash: string): Promise<void> {
    await this.changingCredentials(auth.deleteSession(this.db, hash));
  }

  /** Removes sessions past their end at `now` or unused since `idleSince`. */
  async deleteStaleSessions(now: number, idleSince: number): Promise<number> {
    return this.changingCredentials(auth.deleteStaleSessions(this.db, now, idleSince));
  }

  /** Keeps a new API token (by the hash of its secret); its id. */
  async createApiToken(
    t: Pick<ApiTokenRow, 'name' | 'user' | 'role' | 'createdAt' | 'expiresAt'> & { hash: string },
  ): Promise<number> {
    return auth.createApiToken(this.db, t);
  }

  /** An API token by the hash of its secret, with its user's role and state (revoked or expired ones too). */
  async apiToken(hash: string): Promise<(ApiTokenRow & CredentialUser) | undefined> {
    return auth.findApiToken(this.db, hash);
  }

  /** Every API token, oldest first. */
  async apiTokens(): Promise<ApiTokenRow[]> {
    return auth.listApiTokens(this.db);
  }

  /** Records a token's use at `at`. */
  async touchApiToken(id: number, at: number): Promise<void> {
    await auth.touchApiToken(this.db, id, at);
  }

  /** Revokes a token; false when unknown or revoked already. */
  async revokeApiToken(id: number, at: number): Promise<boolean> {
    return this.changingCredentials(auth.revokeApiToken(this.db, id, at));
  }

  /** Keeps a join token's hash for a server; its earlier unused ones and all expired ones go. */
  async addJoinToken(t: { hash: string; server: string; expiresAt: number }, now = Date.now()): Promise<void> {
    await addJoinToken(this.db, t, now);
  }

  /** Uses a join token once; false when it is unknown, for another server, used or expired. */
  async useJoinToken(hash: string, server: string, now = Date.now()): Promise<boolean> {
    return useJoinToken(this.db, hash, server, now);
  }

  /** Records a server's enrolled certificate fingerprint, replacing the one before. */
  async setServerIdentity(server: string, fingerprint: string, at = Date.now()): Promise<void> {
    await setServerIdentity(this.db, server, fingerprint, at);
  }

  /** The fingerprint of a server's enrolled certificate, if it enrolled. */
  async serverFingerprint(server: string): Promise<string | undefined> {
    return serverFingerprint(this.db, server);
  }
}

/** A failover log row as read; the controller is its only writer, so its detail has the log's schema. */
function failoverRow(r: Selectable<Tables['failovers']>): FailoverRow {
  return {
    id: Number(r.id),
    startedAt: Number(r.started_at),
    server: r.server_id,
    group: Number(r.group_id),
    trigger: r.trigger as FailoverRow['trigger'],
    status: r.status as FailoverStatus,
    detail: JSON.parse(r.detail) as FailoverDetail,
  };
}
