import { sql, type RawBuilder } from 'kysely';
import type { Db, Dialect } from './db.ts';
import { VigilError } from '../lib/errors.ts';

/** Who asks for the lease: its process (boot id, unique per start), its name and the URL others reach it at. */
export interface LeaseClaimant {
  boot: string;
  id: string;
  url: string;
}

/** The lease as the store holds it; times are the database's clock (ms). */
export interface LeaseRow {
  /** The boot id of the leading master's process, none when released. */
  holder: string | undefined;
  holderId: string | undefined;
  holderUrl: string | undefined;
  term: number;
  expiresAtMs: number;
  /** The database's clock when read. */
  nowMs: number;
}

/** A leader's claim that its writes check: its process and its term. */
export interface Fence {
  boot: string;
  term: number;
}

/** The database's clock in ms: the one clock every master's lease is judged by (one machine's, not each master's). */
export function dbNow(dialect: Dialect): RawBuilder<number> {
  return dialect === 'postgres'
    ? sql<number>`(floor(extract(epoch from clock_timestamp()) * 1000))::bigint`
    : sql<number>`cast((julianday('now') - 2440587.5) * 86400000.0 as integer)`;
}

/**
 * Takes the lease when nobody holds it, it lapsed, or this very process holds it still (it stood
 * down, and a renewal of its landed after): a new term (one more than the last), held for leaseMs
 * from the database's now. One conditional statement, so two standbys cannot both win. Returns the
 * new term, or undefined when another master holds a live lease.
 */
export async function takeLease(
  db: Db,
  dialect: Dialect,
  me: LeaseClaimant,
  leaseMs: number,
): Promise<number | undefined> {
  const now = dbNow(dialect);
  const r = await db
    .updateTable('master_lease')
    .set({
      holder: me.boot,
      holder_id: me.id,
      holder_url: me.url,
      term: sql<number>`term + 1`,
      expires_at: sql<number>`${now} + ${leaseMs}`,
      acquired_at: now,
    })
    .where('id', '=', 1)
    // Its own lease too: a renewal that reached the store after this master stood down (it had timed
    // out here) must not keep it from leading again for a whole lease.
    .where((w) => w.or([w('holder', 'is', null), w('expires_at', '<=', now), w('holder', '=', me.boot)]))
    .returning('term')
    .executeTakeFirst();
  return r ? Number(r.term) : undefined;
}

/**
 * Renews a lease still held (same process, same term, not lapsed) for leaseMs from now; false when it
 * is not. `url` is written again (a master listening on port 0 learns its own only once it listens).
 */
export async function renewLease(
  db: Db,
  dialect: Dialect,
  f: Fence & { url: string },
  leaseMs: number,
): Promise<boolean> {
  const now = dbNow(dialect);
  const r = await db
    .updateTable('master_lease')
    .set({ expires_at: sql<number>`${now} + ${leaseMs}`, holder_url: f.url })
    .where('id', '=', 1)
    .where('holder', '=', f.boot)
    .where('term', '=', f.term)
    .where('expires_at', '>', now)
    .executeTakeFirst();
  return Number(r.numUpdatedRows) === 1;
}

/**
 * Moves this leader's live lease on to term `to` (above its own), renewed for leaseMs: a server holds
 * an assignment of a term the store has not reached (the store was restored from an older copy) and
 * would refuse everything sent under a lower one. False when the lease is not this leader's any more.
 */
export async function raiseLease(db: Db, dialect: Dialect, f: Fence, to: number, leaseMs: number): Promise<boolean> {
  const now = dbNow(dialect);
  const r = await db
    .updateTable('master_lease')
    .set({ term: to, expires_at: sql<number>`${now} + ${leaseMs}` })
    .where('id', '=', 1)
    .where('holder', '=', f.boot)
    .where('term', '=', f.term)
    .where('term', '<', to)
    .where('expires_at', '>', now)
    .executeTakeFirst();
  return Number(r.numUpdatedRows) === 1;
}

/** Gives the lease up (a master that stops): a standby takes it at its next look, not a lease later. */
export async function releaseLease(db: Db, f: Fence): Promise<void> {
  await db
    .updateTable('master_lease')
    .set({ holder: null, expires_at: 0 })
    .where('id', '=', 1)
    .where('holder', '=', f.boot)
    .where('term', '=', f.term)
    .execute();
}

/** The lease as it stands, with the database's clock. */
export async function readLease(db: Db, dialect: Dialect): Promise<LeaseRow> {
  const r = await db
    .selectFrom('master_lease')
    .select(['holder', 'holder_id', 'holder_url', 'term', 'expires_at', dbNow(dialect).as('now')])
    .where('id', '=', 1)
    .executeTakeFirstOrThrow();
  return {
    holder: r.holder ?? undefined,
    holderId: r.holder_id ?? undefined,
    holderUrl: r.holder_url ?? undefined,
    term: Number(r.term),
    expiresAtMs: Number(r.expires_at),
    nowMs: Number(r.now),
  };
}

/**
 * The fence of a write, inside its transaction: the lease must still be this leader's (its process,
 * its term, not lapsed by the database's clock). On PostgreSQL the row is read FOR SHARE, so a
 * standby's takeover (an UPDATE of that row) waits for this transaction to end, and a write that
 * starts after the takeover sees the new term: no write of an old term lands after a new leader
 * has begun. Throws NOT_LEADER otherwise, and nothing of the transaction is written.
 */
export async function checkFence(tx: Db, dialect: Dialect, f: Fence): Promise<void> {
  let q = tx
    .selectFrom('master_lease')
    .select('term')
    .where('id', '=', 1)
    .where('holder', '=', f.boot)
    .where('term', '=', f.term)
    .where('expires_at', '>', dbNow(dialect));
  if (dialect === 'postgres') q = q.forShare();
  if (!(await q.executeTakeFirst()))
    throw new VigilError('NOT_LEADER', `this master's lease of term ${f.term} is over: the write is refused`);
}

/** Marks a master as watching the lease (id, URL, boot, version), at the database's now. */
export async function seeMaster(
  db: Db,
  dialect: Dialect,
  m: { id: string; url: string; boot: string; version: string },
): Promise<void> {
  const now = dbNow(dialect);
  await db
    .insertInto('masters')
    .values({ id: m.id, url: m.url, boot_id: m.boot, version: m.version, seen_at: now })
    .onConflict((c) => c.column('id').doUpdateSet({ url: m.url, boot_id: m.boot, version: m.version, seen_at: now }))
    .execute();
}

/** The masters that watched the lease, with how long ago each was last seen (ms, the database's clock). */
export async function listMasters(
  db: Db,
  dialect: Dialect,
): Promise<{ id: string; url: string; bootId: string; version: string; seenAgoMs: number }[]> {
  const rows = await db
    .selectFrom('masters')
    .select(['id', 'url', 'boot_id', 'version', 'seen_at', dbNow(dialect).as('now')])
    .orderBy('id')
    .execute();
  return rows.map((r) => ({
    id: r.id,
    url: r.url,
    bootId: r.boot_id,
    version: r.version,
    seenAgoMs: Math.max(0, Number(r.now) - Number(r.seen_at)),
  }));
}

/** The lease's statements on one store (Store.leases). */
export class Leases {
  constructor(
    private readonly db: Db,
    private readonly dialect: Dialect,
  ) {}

  /** Takes the lease if it is free or lapsed: the new term, else undefined. */
  take(me: LeaseClaimant, leaseMs: number): Promise<number | undefined> {
    return takeLease(this.db, this.dialect, me, leaseMs);
  }

  /** Renews this leader's lease; false when it is not its own any more (or lapsed). */
  renew(f: Fence & { url: string }, leaseMs: number): Promise<boolean> {
    return renewLease(this.db, this.dialect, f, leaseMs);
  }

  /** Moves this leader's lease on to term `to`; false when it is not its own any more (or lapsed). */
  raise(f: Fence, to: number, leaseMs: number): Promise<boolean> {
    return raiseLease(this.db, this.dialect, f, to, leaseMs);
  }

  /** Gives this leader's lease up. */
  release(f: Fence): Promise<void> {
    return releaseLease(this.db, f);
  }

  /** The lease as it stands. */
  read(): Promise<LeaseRow> {
    return readLease(this.db, this.dialect);
  }

  /** Marks a master as seen now (each one does at every look at the lease). */
  see(m: { id: string; url: string; boot: string; version: string }): Promise<void> {
    return seeMaster(this.db, this.dialect, m);
  }

  /** The masters seen, by name. */
  masters(): ReturnType<typeof listMasters> {
    return listMasters(this.db, this.dialect);
  }
}
