import { setTimeout as delay } from 'node:timers/promises';
import type { Store } from '../store/store.ts';
import type { Logger } from '../lib/log.ts';
import { VigilError } from '../lib/errors.ts';
import type { LeaseTimings } from './leadership.ts';

/**
 * A SQLite store has one master: a second one on the same file is refused at start. The lease says
 * whether another master holds it: a lease that lapsed or was given up is free; a live one is
 * watched for a renewal (a master that runs renews it within renewMs) or its end (one that crashed
 * does not). Only then is this master refused, naming the one that runs; a master restarted right
 * after a crash waits for its old lease to lapse, at most leaseMs.
 */
export async function refuseSharedSqlite(store: Store, file: string, t: LeaseTimings, log: Logger): Promise<void> {
  const first = await store.leases.read();
  if (first.holder === undefined || first.expiresAtMs <= first.nowMs) return;
  log.info(
    { holder: first.holderId, until: first.expiresAtMs },
    'the SQLite store has a live lease: waiting to see whether its master runs',
  );
  for (;;) {
    await delay(Math.min(100, t.renewMs));
    const now = await store.leases.read();
    if (now.holder === undefined || now.expiresAtMs <= now.nowMs) return;
    if (now.holder !== first.holder || now.expiresAtMs !== first.expiresAtMs) throw sqliteInUse(file, now);
  }
}

/** The refusal of a second master on a SQLite store, naming the one that holds its lease. */
export function sqliteInUse(file: string, lease: { holderId?: string; holderUrl?: string }): VigilError {
  return new VigilError(
    'STORE_IN_USE',
    `the SQLite store ${file} is in use by master ${lease.holderId ?? '?'} (${lease.holderUrl ?? 'no URL'}): a SQLite store has one master; several masters need a PostgreSQL store (--store postgres://…, see the README)`,
  );
}
