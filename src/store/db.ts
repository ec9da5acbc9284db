import { Kysely, SqliteDialect, PostgresDialect, type Generated } from 'kysely';
import Database from 'better-sqlite3';
import pg from 'pg';
import { privateSqliteFile } from '../lib/private-dir.ts';

export interface Tables {
  meta: { key: string; value: string };
  settings: { key: string; value: string };
  groups: { id: number; redundancy: number; options: Generated<string> };
  servers: {
    id: string;
    group_id: number;
    host: string;
    udp_port: number | null;
    state: string;
    down_since: number | null;
    options: Generated<string>;
    runtime: Generated<string>;
  };
  cameras: {
    id: string;
    url: string;
    home_server: string;
    current_server: string;
    movable: number;
    options: Generated<string>;
    runtime: Generated<string>;
  };
  failovers: {
    id: Generated<number>;
    started_at: number;
    server_id: string;
    group_id: number;
    trigger: string;
    status: string;
    detail: string;
  };
  audit: {
    id: Generated<number>;
    at: number;
    actor: string;
    address: string;
    method: string;
    route: string;
    target: string | null;
    params: string;
    summary: string | null;
    status: number;
  };
  recordings: {
    id: Generated<number>;
    camera_id: string;
    server_id: string;
    start_ms: number;
    end_ms: number;
    stream: Generated<number>;
  };
  recording_segments: {
    id: Generated<number>;
    server_id: string;
    camera_id: string;
    stream: number;
    recorded_by: Generated<string>;
    start_ms: number;
    end_ms: number;
    bytes: number | null;
    sha256: string | null;
  };
  users: { name: string; role: string; password_hash: string; created_at: number; disabled: Generated<number> };
  sessions: { hash: string; user_name: string; created_at: number; expires_at: number; last_seen_at: number };
  api_tokens: {
    id: Generated<number>;
    hash: string;
    name: string;
    user_name: string;
    role: string;
    created_at: number;
    expires_at: number | null;
    last_used_at: number | null;
    revoked_at: number | null;
  };
  server_identities: { server: string; fingerprint: string; enrolled_at: number };
  join_tokens: { hash: string; server: string; expires_at: number; used_at: number | null };
  master_lease: {
    id: number;
    holder: string | null;
    holder_id: string | null;
    holder_url: string | null;
    term: number;
    expires_at: number;
    acquired_at: number;
  };
  masters: { id: string; url: string; boot_id: string; version: string; seen_at: number };
}

export type Db = Kysely<Tables>;
export type Dialect = 'sqlite' | 'postgres';

/** Less than any lease (3 s by default, 2 s in the fault tests): see openDb. */
export const IDLE_IN_TRANSACTION_MS = 1500;

/** Opens the farm store: a SQLite file by default, PostgreSQL when given a postgres:// URL. */
export function openDb(
  location: string,
  onConnectionError: (err: Error) => void = () => {},
): { db: Db; dialect: Dialect } {
  if (/^postgres(ql)?:\/\//.test(location)) {
    // bigint columns come back as strings from pg; every value we keep fits a double exactly.
    pg.types.setTypeParser(20, (v) => Number(v));
    // Bounded waits: a store cut off (packets dropped, not refused) fails queries within seconds
    // instead of holding the pool's connections, and so every request, until TCP gives up.
    const pool = new pg.Pool({
      connectionString: location,
      max: 4,
      connectionTimeoutMillis: 5000,
      query_timeout: 15_000,
      // A master paused in the middle of a fenced write (SIGSTOP, a long stall) holds the lease row
      // FOR SHARE, and with it every takeover: the server ends a transaction idle this long (none of
      // ours waits between its statements), so a standby takes the lease once it has lapsed.
      idle_in_transaction_session_timeout: IDLE_IN_TRANSACTION_MS,
    });
    // An idle pooled connection that the server ends (restart, pg_terminate_backend) emits
    // 'error' on the pool; unhandled, that would kill the master. The pool drops that client and
    // the next query opens a new connection, so it is only reported.
    pool.on('error', onConnectionError);
    // A connection that ends while checked out (in a query, a transaction: the store restarted)
    // emits 'error' on its client, which the pool does not listen to then: its query fails anyway.
    pool.on('connect', (client) => client.on('error', onConnectionError));
    return { db: new Kysely<Tables>({ dialect: new PostgresDialect({ pool }) }), dialect: 'postgres' };
  }
  if (location !== ':memory:') privateSqliteFile(location);
  const sqlite = new Database(location);
  sqlite.pragma('journal_mode = WAL');
  sqlite.pragma('synchronous = NORMAL');
  sqlite.pragma('busy_timeout = 5000');
  return { db: new Kysely<Tables>({ dialect: new SqliteDialect({ database: sqlite }) }), dialect: 'sqlite' };
}
