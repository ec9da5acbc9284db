import { errText } from '../lib/errors.ts';
import type { Logger } from '../lib/log.ts';
import { NodeHttpError, NodeUnreachableError } from '../node-client/node-http-error.ts';
import type { CopyJob } from '../protocol/copy-job.ts';

/** A download that broke off: worth retrying, like the network failing or the source busy or restarting. */
export class PassingError extends Error {}

/** Whether a request failed for a passing reason: no answer, a 5xx or 429, a download broken off. */
export function passing(err: unknown): boolean {
  return (
    err instanceof PassingError || err instanceof NodeUnreachableError || (err instanceof NodeHttpError && err.passing)
  );
}

/** Runs a request of a job, again after a growing wait when it fails for a passing reason. */
export type Retry = <T>(job: CopyJob, what: string, signal: AbortSignal, fn: () => Promise<T>) => Promise<T>;

/**
 * A Retry: `attempts` tries at most, waiting `delayMs`, then twice as long each time; a failure
 * that is not passing (see passing), or an abort, is thrown at once.
 */
export function retrying(o: {
  attempts: number;
  delayMs: number;
  sleep: (ms: number, signal: AbortSignal) => Promise<void>;
  log: Logger;
}): Retry {
  return async (job, what, signal, fn) => {
    for (let attempt = 1; ; attempt++) {
      try {
        return await fn();
      } catch (err) {
        if (signal.aborted || !passing(err) || attempt >= o.attempts) throw err;
        const waitMs = o.delayMs * 2 ** (attempt - 1);
        o.log.warn(
          { job: job.id, err: errText(err), attempt, waitMs },
          `copy-back ${what}: request failed; trying again`,
        );
        await o.sleep(waitMs, signal);
      }
    }
  };
}
