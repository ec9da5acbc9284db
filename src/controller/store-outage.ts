import type { Logger } from '../lib/log.ts';
import { errText } from '../lib/errors.ts';

/** The first retry of what waits for the store comes this soon after a failure… */
export const STORE_RETRY_MIN_MS = 100;
/** …and each next one twice as late, at most this: the store's return is noticed within a second. */
export const STORE_RETRY_MAX_MS = 1000;

/** The wait before retry number `tries` + 1 (tries: failed attempts so far, from 0). Pure. */
export function storeRetryDelay(tries: number): number {
  return Math.min(STORE_RETRY_MIN_MS * 2 ** Math.max(0, tries), STORE_RETRY_MAX_MS);
}

/**
 * Whether the master's farm store answers, as the controller finds it: unreachable at the first
 * failure, back at the first success. One log line per change of state (lost, back), not per try;
 * while it is out, retries come with backoff (storeRetryDelay), counted for the line that ends it.
 */
export class StoreOutage {
  private lostSince: number | undefined;
  private tries = 0;
  private nextAt = 0;

  constructor(private readonly log: Logger) {}

  /**
   * The store could not be reached at `now` while doing `what`. A failure before the next retry is
   * due (a status meanwhile) does not put the retry off: the store's return is still noticed in time.
   */
  failed(now: number, err: unknown, what: string): void {
    if (this.lostSince === undefined) {
      this.lostSince = now;
      this.tries = 0;
      this.log.error({ err: errText(err), what }, 'farm store unreachable; what needs it waits and is retried');
    } else if (now < this.nextAt) return;
    else this.tries++;
    this.nextAt = now + storeRetryDelay(this.tries);
  }

  /** The store answered at `now`. */
  answered(now: number): void {
    if (this.lostSince === undefined) return;
    this.log.warn({ outageMs: now - this.lostSince, retries: this.tries }, 'farm store back');
    this.lostSince = undefined;
    this.tries = 0;
    this.nextAt = 0;
  }

  /** Whether the store is known unreachable (since its last failure, until it answers). */
  get lost(): boolean {
    return this.lostSince !== undefined;
  }

  /** Whether it is time to try the store again (always, while it is not known unreachable). */
  due(now: number): boolean {
    return this.lostSince === undefined || now >= this.nextAt;
  }
}
