import { ERROR_STATUS, type ErrorCode } from './error-codes.ts';

export { ERROR_STATUS, type ErrorCode };

/** One coded error type for the whole project; the API maps it to `{error: {code, message, details}}`. */
export class VigilError extends Error {
  constructor(
    readonly code: ErrorCode,
    message: string,
    /** The catalogue's status for `code` unless given. */
    readonly httpStatus: number = ERROR_STATUS[code],
    readonly details: unknown[] = [],
  ) {
    super(message);
    this.name = 'VigilError';
  }
}

/** Error answer shape shared by every API route. */
export function errorBody(err: VigilError): { error: { code: string; message: string; details: unknown[] } } {
  return { error: { code: err.code, message: err.message, details: err.details } };
}

/**
 * "<what> refused, N problem(s):" and one line per problem: the one shape of a refusal that names
 * every problem at once (a configuration, storage settings); the problems go in `details` too.
 */
export function refused(code: ErrorCode, what: string, problems: string[]): VigilError {
  return new VigilError(code, refusedMessage(what, problems), ERROR_STATUS[code], problems);
}

/** The text of a refusal naming every problem (see refused), for a log line. */
export function refusedMessage(what: string, problems: string[]): string {
  return `${what} refused, ${problems.length} problem(s):\n- ${problems.join('\n- ')}`;
}

/** A file-system error as its errno code (ENOENT, EROFS, …) when it has one, else its text. */
export function errnoText(err: unknown): string {
  return (err as NodeJS.ErrnoException)?.code ?? errText(err);
}

/** An error's message and its cause's, for a log line or an answer; anything else as text. */
export function errText(err: unknown): string {
  if (!(err instanceof Error)) return String(err);
  const cause = err.cause instanceof Error ? err.cause.message : '';
  return cause ? `${err.message}: ${cause}` : err.message;
}
