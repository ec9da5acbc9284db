import { Type, type Static } from '@sinclair/typebox';
import { sql, type Selectable } from 'kysely';
import type { Db, Tables } from './db.ts';
import { pageOf, type Page, type PageQuery } from './page.ts';

// The audit log: one schema for the hook that writes it, the store that keeps it, the API that
// serves it and the CLI that prints it.

/** One request recorded: who, from where, what, and the answer. */
export const AuditEntry = Type.Object({
  id: Type.Integer(),
  at: Type.Number({ description: 'when the answer was sent (epoch ms)' }),
  actor: Type.String({
    description: 'user:<name> (a session), token:<user>/<token name>, server:<id>, or anonymous',
  }),
  address: Type.String({ description: "the client's address" }),
  method: Type.String(),
  route: Type.String({ description: 'the route, as registered: /api/v1/servers/:id/failover' }),
  target: Type.Union([Type.String(), Type.Null()], { description: 'what the route acted on (its :id)' }),
  params: Type.Record(Type.String(), Type.Unknown(), {
    description: 'path parameters, query and body, credentials removed',
  }),
  summary: Type.Union([Type.String(), Type.Null()], {
    description: 'a configuration change: what it added, removed, changed',
  }),
  status: Type.Integer({ description: 'the HTTP status of the answer' }),
});
/** One request recorded in the audit log. */
export type AuditEntry = Static<typeof AuditEntry>;

/** Which entries to read: a time range, one actor, a page. */
export interface AuditQuery extends PageQuery {
  /** At or after (epoch ms). */
  from?: number;
  /** Before (epoch ms). */
  to?: number;
  /** `user:alice`, `token:alice/backup`, `server:s1` as is; a bare name `alice` is her sessions and her tokens. */
  actor?: string;
}

/** Adds an entry; returns its id. */
export async function appendAudit(db: Db, e: Omit<AuditEntry, 'id'>): Promise<number> {
  const r = await db
    .insertInto('audit')
    .values({
      at: e.at,
      actor: e.actor,
      address: e.address,
      method: e.method,
      route: e.route,
      target: e.target,
      params: JSON.stringify(e.params),
      summary: e.summary,
      status: e.status,
    })
    .returning('id')
    .executeTakeFirstOrThrow();
  return Number(r.id);
}

/** A page of the entries `q` asks for, oldest first, and the cursor of the page before it. */
export async function listAudit(db: Db, q: AuditQuery): Promise<Page<AuditEntry>> {
  let s = db.selectFrom('audit').selectAll();
  if (q.before !== undefined) s = s.where('id', '<', q.before);
  if (q.from !== undefined) s = s.where('at', '>=', q.from);
  if (q.to !== undefined) s = s.where('at', '<', q.to);
  if (q.actor !== undefined) {
    const a = q.actor;
    if (a.includes(':')) s = s.where('actor', '=', a);
    else {
      // A bare user name: her sessions, and her tokens (token:<user>/<name>), by prefix without LIKE's wildcards.
      const prefix = `token:${a}/`;
      s = s.where((w) =>
        w.or([w('actor', '=', `user:${a}`), w(sql<string>`substr(actor, 1, ${prefix.length})`, '=', prefix)]),
      );
    }
  }
  const rows = await s
    .orderBy('id', 'desc')
    .limit(q.limit + 1)
    .execute();
  return pageOf(rows.map(auditRow), q.limit);
}

function auditRow(r: Selectable<Tables['audit']>): AuditEntry {
  return {
    id: Number(r.id),
    at: Number(r.at),
    actor: r.actor,
    address: r.address,
    method: r.method,
    route: r.route,
    target: r.target,
    params: JSON.parse(r.params) as Record<string, unknown>,
    summary: r.summary,
    status: Number(r.status),
  };
}
