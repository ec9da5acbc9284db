/** One coded error type for the whole project; the API maps it to `{error: {code, message, details}}`. */
export class VigilError extends Error {
  constructor(
    readonly code: string,
    message: string,
    readonly httpStatus = 400,
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
