import { VigilError } from '../lib/errors.ts';

/** Socket errors of a store that cannot be reached (refused, reset, timed out, no route, no name). */
const SOCKET_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ETIMEDOUT',
  'EPIPE',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'ENOTFOUND',
  'EAI_AGAIN',
]);
/** PostgreSQL SQLSTATEs of a server shutting down or refusing connections, and class 08 (connection exception). */
const PG_CODES = new Set(['57P01', '57P02', '57P03', '53300', '08000', '08001', '08003', '08004', '08006']);
/** node-postgres's own words when a connection ends or cannot be made (these errors carry no code). */
const PG_MESSAGES =
  /Connection terminated|connection timeout|Query read timeout|timeout exceeded when trying to connect|Client has encountered a connection error|Client was closed/i;

/**
 * Whether an error says the farm store cannot be reached (its server down, restarting, cut off),
 * as opposed to a query the store refused: the first passes when the store is back, so what
 * failed waits for it; the second is a defect. Looks through `cause` and AggregateError's errors
 * (a connect to each of a name's addresses).
 */
export function isStoreUnavailable(err: unknown, depth = 0): boolean {
  if (!err || typeof err !== 'object' || depth > 4) return false;
  if (err instanceof VigilError) return err.code === 'STORE_UNAVAILABLE';
  const e = err as { code?: unknown; message?: unknown; cause?: unknown; errors?: unknown };
  if (typeof e.code === 'string' && (SOCKET_CODES.has(e.code) || PG_CODES.has(e.code))) return true;
  if (typeof e.message === 'string' && PG_MESSAGES.test(e.message)) return true;
  if (Array.isArray(e.errors) && e.errors.some((x) => isStoreUnavailable(x, depth + 1))) return true;
  return isStoreUnavailable(e.cause, depth + 1);
}

/** The API's answer while the store is out: 503 STORE_UNAVAILABLE, naming what waits for it. */
export function storeUnavailable(what: string): VigilError {
  return new VigilError(
    'STORE_UNAVAILABLE',
    `the farm store is unavailable: ${what}; it is retried until the store answers again`,
  );
}
