import type { AuditEntry } from '../store/audit.ts';
import { redactCredentials } from '../lib/redact.ts';
import { NODE_CHANNEL_ROUTES } from '../protocol/node-channel.ts';

/** Reads that are audited too: an export takes footage away. Keyed "<METHOD> <route>" (HEAD runs the GET). */
const AUDITED_READS = new Set(['GET /api/v1/cameras/:id/export.mp4']);
/**
 * Writes that are not: a server's status comes twice a second from every server, and it is
 * telemetry, not an act of someone; it would drown the log (and the store) in itself.
 */
const UNAUDITED_WRITES = new Set([`POST ${NODE_CHANNEL_ROUTES.status}`]);

/** Fields whose value is a credential: left out of the audit log whole, whatever they hold. */
const SECRET_FIELD = /pass(word|wd|phrase)?$|secret|token|key$|cookie|authorization|credential/i;
/** A body longer than this (as JSON) is noted by its size only: the log records acts, not payloads. */
const MAX_BODY_CHARS = 2048;
/** A client that went away before the answer was complete (nginx's "client closed request"). */
export const CLIENT_GONE = 499;

/** Whether a request to `route` (the route as registered; undefined when none matched) is audited. */
export function audited(method: string, route: string | undefined): boolean {
  if (route === undefined) return false; // no such route: nothing happened, and no one may fill the log with 404s
  const m = method === 'HEAD' ? 'GET' : method;
  if (m === 'GET' || m === 'OPTIONS') return AUDITED_READS.has(`GET ${route}`);
  return !UNAUDITED_WRITES.has(`${m} ${route}`);
}

/**
 * A value as the audit log may keep it: fields named like credentials dropped, credentials in URLs
 * removed (redactCredentials), nesting bounded. Pure.
 */
export function redactValue(v: unknown, depth = 0): unknown {
  if (typeof v === 'string') return redactCredentials(v);
  if (v === null || typeof v !== 'object') return v;
  if (depth >= 6) return '…';
  if (Array.isArray(v)) return v.map((x) => redactValue(x, depth + 1));
  return Object.fromEntries(
    Object.entries(v as Record<string, unknown>)
      .filter(([k]) => !SECRET_FIELD.test(k))
      .map(([k, x]) => [k, redactValue(x, depth + 1)]),
  );
}

/** What the audit log needs of a request. */
export interface AuditedRequest {
  method: string;
  /** The route as registered (`/api/v1/servers/:id/failover`). */
  route: string;
  params: unknown;
  query: unknown;
  body: unknown;
  actor: string;
  address: string;
}

/**
 * The audit entry of a request answered `status` at `at`: its target is its `:id` (else its first
 * path parameter), its parameters are path, query and body, redacted; `summary` says what a
 * configuration change did (the body itself is not kept then). Pure.
 */
export function auditEntryOf(r: AuditedRequest, status: number, at: number, summary?: string): Omit<AuditEntry, 'id'> {
  const params = isObject(r.params) ? (r.params as Record<string, unknown>) : {};
  const target = typeof params.id === 'string' ? params.id : Object.values(params).find((x) => typeof x === 'string');
  const kept: Record<string, unknown> = {};
  if (Object.keys(params).length) kept.params = redactValue(params);
  if (isObject(r.query) && Object.keys(r.query as object).length) kept.query = redactValue(r.query);
  if (r.body !== undefined && r.body !== null && summary === undefined) {
    const body = redactValue(r.body);
    const text = JSON.stringify(body) ?? '';
    kept.body = text.length > MAX_BODY_CHARS ? { omitted: `${text.length} characters` } : body;
  }
  return {
    at,
    actor: r.actor,
    address: r.address,
    method: r.method,
    route: r.route,
    target: (target as string | undefined) ?? null,
    params: kept,
    summary: summary ?? null,
    status,
  };
}

const isObject = (v: unknown) => v !== null && typeof v === 'object' && !Array.isArray(v);
