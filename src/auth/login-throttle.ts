/**
 * How failed logins slow the next attempt: a few free failures (typing mistakes), then a wait that
 * doubles with each failure up to a ceiling, forgotten after a quiet while. Pure: the time is given.
 */
export interface ThrottlePolicy {
  /** Failures allowed without a wait (the attempt after the last of them waits). */
  freeFailures: number;
  /** The wait after the first failure past the free ones; it doubles with each next one. */
  firstDelayMs: number;
  /** The longest wait. */
  maxDelayMs: number;
  /** A key's failures are forgotten this long after its last one. */
  forgetAfterMs: number;
}

/** Per user name: 5 free failures, then 1 s, 2 s, 4 s … up to 5 min between attempts. */
export const USER_THROTTLE: ThrottlePolicy = {
  freeFailures: 5,
  firstDelayMs: 1000,
  maxDelayMs: 300_000,
  forgetAfterMs: 3_600_000,
};
/** Per client address: more free failures (many people behind one NAT), the same climb. */
export const ADDRESS_THROTTLE: ThrottlePolicy = { ...USER_THROTTLE, freeFailures: 20 };

/** A key's failed attempts: how many, and when the last one was. */
export interface Failures {
  count: number;
  lastAt: number;
}

/** The wait owed after `count` failures under a policy (0 while they are free). */
export function delayAfter(count: number, p: ThrottlePolicy): number {
  if (count < p.freeFailures) return 0;
  return Math.min(p.maxDelayMs, p.firstDelayMs * 2 ** Math.min(30, count - p.freeFailures));
}

/** How long until the next attempt is allowed (0: now); `f` undefined or forgotten owes nothing. */
export function waitMs(f: Failures | undefined, now: number, p: ThrottlePolicy): number {
  if (!f || forgotten(f, now, p)) return 0;
  return Math.max(0, f.lastAt + delayAfter(f.count, p) - now);
}

/** The failures after one more at `now` (a forgotten history starts again from one). */
export function withFailure(f: Failures | undefined, now: number, p: ThrottlePolicy): Failures {
  return { count: !f || forgotten(f, now, p) ? 1 : f.count + 1, lastAt: now };
}

function forgotten(f: Failures, now: number, p: ThrottlePolicy): boolean {
  return now - f.lastAt >= p.forgetAfterMs;
}

/** Attempts checked at once from one address (a user name gets one at a time). */
const MAX_BUSY_PER_ADDRESS = 4;

/** Keys kept per kind at most: a spray of made-up user names must not grow the master's memory. */
const MAX_KEYS = 10_000;

/**
 * The master's login throttle, per user name and per client address (in memory: a restart forgets
 * it, which costs an attacker a restart of the master). No clock of its own: callers pass `now`.
 */
export class LoginThrottle {
  private readonly users = new Map<string, Failures>();
  private readonly addresses = new Map<string, Failures>();
  private readonly busyUsers = new Set<string>();
  private readonly busyAddresses = new Map<string, number>();

  constructor(
    private readonly userPolicy: ThrottlePolicy = USER_THROTTLE,
    private readonly addressPolicy: ThrottlePolicy = ADDRESS_THROTTLE,
  ) {}

  /** How long `user` from `address` must wait before the next attempt (0: try now); the longer of the two. */
  waitMs(user: string, address: string, now: number): number {
    return Math.max(
      waitMs(this.users.get(userKey(user)), now, this.userPolicy),
      waitMs(this.addresses.get(address), now, this.addressPolicy),
    );
  }

  /** Counts a failed attempt against both the user name and the address. */
  failed(user: string, address: string, now: number): void {
    bump(this.users, userKey(user), now, this.userPolicy);
    bump(this.addresses, address, now, this.addressPolicy);
  }

  /**
   * Starts checking an attempt; false when the user name already has one under way, or the address
   * several: without it, a burst of parallel guesses would all pass before the first failure counts.
   * Each true is followed by one end().
   */
  begin(user: string, address: string): boolean {
    const k = userKey(user);
    const n = this.busyAddresses.get(address) ?? 0;
    if (this.busyUsers.has(k) || n >= MAX_BUSY_PER_ADDRESS) return false;
    this.busyUsers.add(k);
    this.busyAddresses.set(address, n + 1);
    return true;
  }

  /** Ends an attempt begun. */
  end(user: string, address: string): void {
    this.busyUsers.delete(userKey(user));
    const n = (this.busyAddresses.get(address) ?? 1) - 1;
    if (n > 0) this.busyAddresses.set(address, n);
    else this.busyAddresses.delete(address);
  }

  /** A successful login clears the user's failures (not the address's: one known account must not unlock guessing others). */
  succeeded(user: string): void {
    this.users.delete(userKey(user));
  }
}

function userKey(user: string): string {
  return user.toLowerCase();
}

function bump(m: Map<string, Failures>, key: string, now: number, p: ThrottlePolicy): void {
  const next = withFailure(m.get(key), now, p);
  m.delete(key); // re-inserted last: the map's order is then least recently failed first
  m.set(key, next);
  for (const [k, f] of m) {
    if (m.size <= MAX_KEYS) break;
    if (k !== key || forgotten(f, now, p)) m.delete(k);
  }
}
