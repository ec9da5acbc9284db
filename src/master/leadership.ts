import type { Leases, LeaseClaimant } from '../store/lease.ts';
import type { Logger } from '../lib/log.ts';
import { isStoreUnavailable } from '../store/unavailable.ts';

/** How long a lease lasts and how it is kept. */
export interface LeaseTimings {
  /** A lease lasts this long from the database's now at each renewal (LeaseMs, 3 s). */
  leaseMs: number;
  /** The leader renews this often (LeaseRenewMs, 1 s); a standby looks at the lease four times as often. */
  renewMs: number;
  /** The leader stops deciding this long before its lease ends, on its own monotonic clock (clock rates differ). */
  marginMs: number;
}

/** The default lease: about 3 s, renewed every second, given up half a second early. */
export const DEFAULT_LEASE: LeaseTimings = { leaseMs: 3000, renewMs: 1000, marginMs: 500 };

/** Which master leads, as this master last saw the lease. */
export interface LeaderSeen {
  id: string;
  url: string;
  term: number;
}

/** What Leadership is built from. */
export interface LeadershipOptions extends LeaseTimings {
  leases: Pick<Leases, 'take' | 'renew' | 'raise' | 'release' | 'read' | 'see'>;
  me: LeaseClaimant & { version: string };
  log: Logger;
  /** This master took the lease under `term`: take the farm up from the store and start deciding. */
  onLead: (term: number) => Promise<void>;
  /** This master must stop deciding now (synchronous: called the moment the lease is not surely its own). */
  onStandDown: (reason: string) => void;
  /** A monotonic clock in ms (default performance.now): a step of the wall clock must not extend a lease. */
  monotonic?: () => number;
}

/**
 * One master's part in the lease (the store's `master_lease` row): a standby looks at it every
 * renewMs / 4 and takes it once it is free or lapsed (a new term); the leader renews it every
 * renewMs. The leader counts its lease on its own monotonic clock from the moment it SENT the last
 * renewal that succeeded, less marginMs, and stands down the moment that runs out, whatever the
 * store answers or fails to: `leading()` is that check, made synchronously by every decision, so a
 * master that was paused (SIGSTOP, a long stall) finds itself deposed before it acts. The store's
 * fence refuses whatever write still slips through (lease.ts checkFence).
 */
export class Leadership {
  private term: number | undefined;
  private validUntil = 0;
  private leaderSeen: LeaderSeen | undefined;
  private timer: NodeJS.Timeout | undefined;
  private guard: NodeJS.Timeout | undefined;
  private closed = false;
  private looking: Promise<void> = Promise.resolve();
  /** The farm being taken up after a take (onLead): the lease is renewed meanwhile. */
  private takingUp: Promise<void> = Promise.resolve();
  private storeLost = false;
  /** A raise of the term under way (one at a time). */
  private raising: Promise<void> | undefined;
  private readonly mono: () => number;

  constructor(private readonly o: LeadershipOptions) {
    this.mono = o.monotonic ?? (() => performance.now());
  }

  /** Whether this master leads now: it holds a term and its lease has not run out on its own clock. */
  leading(): boolean {
    return this.term !== undefined && this.mono() < this.validUntil;
  }

  /** The term this master leads under, while it does. */
  get currentTerm(): number | undefined {
    return this.leading() ? this.term : undefined;
  }

  /** Whether this master's last look at the lease failed: the store does not answer it. */
  get storeUnreachable(): boolean {
    return this.storeLost;
  }

  /** The leader as last seen in the store (this master, while it leads). */
  leader(): LeaderSeen | undefined {
    if (this.leading()) return { id: this.o.me.id, url: this.o.me.url, term: this.term! };
    return this.leaderSeen;
  }

  /** Looks at the lease once (taking it if free), then keeps looking. */
  async start(): Promise<void> {
    this.looking = this.look();
    await this.looking;
    this.schedule();
    await this.takenUp();
  }

  /** Until no take-up runs (one may follow another: a take, a stand-down, the next take). */
  private async takenUp(): Promise<void> {
    let p: Promise<void>;
    do {
      p = this.takingUp;
      await p;
    } while (p !== this.takingUp);
  }

  /** Stops looking; a leader stands down and gives the lease up, so a standby takes it at once. */
  async close(): Promise<void> {
    this.closed = true;
    clearTimeout(this.timer);
    await this.looking;
    clearTimeout(this.timer);
    await this.raising;
    await this.takenUp();
    const term = this.term;
    if (term === undefined) return;
    this.standDown('the master stops');
    await this.o.leases.release({ boot: this.o.me.boot, term }).catch(() => {});
  }

  /**
   * Gives the lead of `term` up at once (a write under it that the fence refused: another master
   * leads). A late refusal of an older term's write leaves a newer term of this master be.
   */
  lost(term: number, reason: string): void {
    if (this.term === term) this.standDown(reason);
  }

  /**
   * Leads on at once under term `to`, above this master's own: a server holds an assignment of a term
   * (or generation) the store never reached — the store was restored from an older copy — and would
   * refuse everything sent under a lower one. The current term ends and `to` is taken up as a new lead
   * (onStandDown, then onLead). Nothing happens unless this master leads and `to` is above its term.
   */
  raise(to: number, reason: string): Promise<void> {
    const term = this.currentTerm;
    if (term === undefined || to <= term || this.raising || this.closed) return this.raising ?? Promise.resolve();
    this.raising = this.raiseFrom(term, to, reason).finally(() => {
      this.raising = undefined;
    });
    return this.raising;
  }

  private async raiseFrom(term: number, to: number, reason: string): Promise<void> {
    const sent = this.mono();
    try {
      const ok = await withTimeout(
        this.o.leases.raise({ boot: this.o.me.boot, term }, to, this.o.leaseMs),
        this.validUntil - sent,
      );
      // Stood down meanwhile, or no answer within the lease (should it land, the next renewal finds
      // the lease under another term and this master stands down, then takes its own lease again).
      if (this.term !== term || ok === undefined) return;
      if (!ok) return this.standDown(`the lease of term ${term} is not this master's any more`);
      this.standDown(reason);
      // Closing meanwhile (close waits for this): the raised lease is given up, the farm not taken up.
      if (this.closed) return await this.o.leases.release({ boot: this.o.me.boot, term: to }).catch(() => {});
      this.term = to;
      this.extend(sent);
      this.o.log.warn({ term: to, from: term, reason }, 'this master leads on under a newer term');
      this.takingUp = this.takeUp(to);
    } catch (err) {
      this.o.log.warn({ err: (err as Error).message, term, to }, 'the term could not be raised');
    }
  }

  private schedule(): void {
    if (this.closed) return;
    const every = this.term !== undefined ? this.o.renewMs : Math.max(50, Math.round(this.o.renewMs / 4));
    clearTimeout(this.timer);
    this.timer = setTimeout(() => {
      if (this.closed) return;
      this.looking = this.look().finally(() => this.schedule());
    }, every);
  }

  private async look(): Promise<void> {
    try {
      if (this.term !== undefined) await this.renew(this.term);
      else await this.tryTake();
      this.o.leases.see({ ...this.o.me, boot: this.o.me.boot }).catch(() => {});
      if (this.storeLost) this.o.log.info('farm store reachable again (lease)');
      this.storeLost = false;
    } catch (err) {
      // A leader that cannot renew keeps trying until its lease runs out (the guard stands it down).
      if (!this.storeLost)
        this.o.log.warn(
          { err: (err as Error).message, unreachable: isStoreUnavailable(err) },
          'the lease cannot be read or renewed',
        );
      this.storeLost = true;
    }
  }

  private async renew(term: number): Promise<void> {
    const sent = this.mono();
    const left = this.validUntil - sent;
    // Too late (this loop's timer ran after the lease, the guard's has not yet): no renewal is sent,
    // or the store would hold a live lease for a master that no longer leads.
    if (left <= 0) return this.standDown('the lease was not renewed in time');
    // A renewal that hangs (the store cut off) must not hold the next one up past the lease.
    const ok = await withTimeout(
      this.o.leases.renew({ boot: this.o.me.boot, term, url: this.o.me.url }, this.o.leaseMs),
      left,
    );
    if (this.term !== term) return; // stood down meanwhile: a late answer changes nothing
    if (ok === true) this.extend(sent);
    else if (ok === false) this.standDown(`the lease of term ${term} is not this master's any more`);
  }

  private async tryTake(): Promise<void> {
    const sent = this.mono();
    const term = await this.o.leases.take(this.o.me, this.o.leaseMs);
    if (term === undefined || this.closed) {
      const l = await this.o.leases.read();
      const live = l.holder !== undefined && l.expiresAtMs > l.nowMs;
      // A lease still naming this master (an earlier process of it killed and restarted at once, at
      // its URL) is nobody's: forwarding to it would be forwarding to itself. (Not by id: masters
      // started with the default id, host:port, may all be 0.0.0.0:8080.)
      const self = l.holder === this.o.me.boot || l.holderUrl === this.o.me.url;
      this.leaderSeen =
        live && !self && l.holderId && l.holderUrl ? { id: l.holderId, url: l.holderUrl, term: l.term } : undefined;
      return;
    }
    this.term = term;
    this.extend(sent);
    this.leaderSeen = undefined;
    this.o.log.info({ term, leaseMs: this.o.leaseMs }, 'this master leads');
    // Not awaited by the loop: a farm whose log takes longer to read than the lease is still led.
    this.takingUp = this.takeUp(term);
  }

  private async takeUp(term: number): Promise<void> {
    try {
      await this.o.onLead(term);
    } catch (err) {
      if (this.term !== term) return; // stood down meanwhile: its failure is that
      this.o.log.error({ err }, 'taking the farm up failed: standing down');
      this.standDown('taking the farm up failed');
      await this.o.leases.release({ boot: this.o.me.boot, term }).catch(() => {});
    }
  }

  /** The lease is good until `sent` + leaseMs − marginMs on this clock; the guard stands down then. */
  private extend(sent: number): void {
    this.validUntil = sent + this.o.leaseMs - this.o.marginMs;
    clearTimeout(this.guard);
    this.guard = setTimeout(
      () => {
        if (this.term !== undefined && !this.leading()) this.standDown('the lease was not renewed in time');
      },
      Math.max(0, this.validUntil - this.mono()) + 1,
    );
  }

  private standDown(reason: string): void {
    const term = this.term;
    this.term = undefined;
    this.validUntil = 0;
    clearTimeout(this.guard);
    this.o.log.warn({ term, reason }, 'this master stops deciding');
    this.o.onStandDown(reason);
  }
}

/** The promise's value, or undefined when it takes longer than ms (or fails; then it rethrows). */
async function withTimeout<T>(p: Promise<T>, ms: number): Promise<T | undefined> {
  let t: NodeJS.Timeout | undefined;
  const late = new Promise<undefined>((r) => {
    t = setTimeout(() => r(undefined), Math.max(0, ms));
  });
  try {
    return await Promise.race([p, late]);
  } finally {
    clearTimeout(t);
  }
}
