import { pino, type Logger, type LoggerOptions } from 'pino';
import { redactCredentials } from './redact.ts';

export type { Logger };

/** Structured logger for a component; every message and string field passes the credential scrubber. */
export function createLogger(
  name: string,
  level = process.env.VIGIL_LOG_LEVEL ?? 'info',
  destination?: NodeJS.WritableStream,
): Logger {
  const options: LoggerOptions = {
    name,
    level,
    hooks: {
      logMethod(args, method) {
        const scrubbed = args.map(scrubObject);
        method.apply(this, scrubbed as Parameters<typeof method>);
      },
    },
  };
  return destination ? pino(options, destination) : pino(options);
}

/** A copy of a logged value with every string in it (messages, fields, arrays, errors) redacted. */
function scrubObject(value: unknown): unknown {
  if (typeof value === 'string') return redactCredentials(value);
  if (value instanceof Error) {
    // A new Error, so pino still serializes it as one (type, message, stack), scrubbed; the cause
    // (e.g. ECONNREFUSED under "fetch failed") is what an operator needs, so it joins the message.
    const cause = value.cause instanceof Error ? value.cause.message : value.cause ? String(value.cause) : '';
    const e = new Error(redactCredentials(cause ? `${value.message}: ${cause}` : value.message));
    e.name = value.name;
    e.stack = redactCredentials(value.stack ?? '');
    return e;
  }
  if (Array.isArray(value)) return value.map(scrubObject);
  if (value && typeof value === 'object') {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) out[k] = scrubObject(v);
    return out;
  }
  return value;
}
