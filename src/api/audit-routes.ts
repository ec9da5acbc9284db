import type { FastifyInstance, onRequestHookHandler } from 'fastify';
import { Type } from '@sinclair/typebox';
import type { Store } from '../store/store.ts';
import { AuditEntry } from '../store/audit.ts';
import { parseTime } from '../lib/time-range.ts';
import { ErrorBody } from './schemas.ts';
import { PageQuery, pageHeaders, sendPage } from './page-query.ts';

/** The route of the audit log (admin only: route rule `GET /api/v1/audit` → admin). */
export const AUDIT_ROUTE = '/api/v1/audit';

/**
 * GET /api/v1/audit: who did what, from where, with what answer; newest page first, each oldest
 * first. `onRequest` guards it until the route rules of the authentication hook do (admin).
 */
export function registerAuditRoutes(
  app: FastifyInstance,
  d: { store: Pick<Store, 'audit'>; onRequest?: onRequestHookHandler },
): void {
  app.get(
    AUDIT_ROUTE,
    {
      schema: {
        summary:
          'the audit log: every change, export and login attempt, with its actor, address, route, target, parameters (credentials removed) and answer',
        querystring: Type.Object({
          from: Type.Optional(Type.String({ description: 'at or after: epoch ms or ISO 8601' })),
          to: Type.Optional(Type.String({ description: 'before: epoch ms or ISO 8601' })),
          actor: Type.Optional(
            Type.String({
              maxLength: 300,
              description: 'user:alice, token:alice/ci, server:s1; a bare name (alice) is her sessions and her tokens',
            }),
          ),
          ...PageQuery,
        }),
        response: {
          200: { description: 'entries, oldest first', headers: pageHeaders, ...Type.Array(AuditEntry) },
          '4xx': ErrorBody,
        },
      },
      ...(d.onRequest && { onRequest: d.onRequest }),
    },
    async (req, reply) => {
      const q = req.query as { from?: string; to?: string; actor?: string; limit: number; before?: number };
      return sendPage(
        reply,
        await d.store.audit({
          limit: q.limit,
          before: q.before,
          actor: q.actor,
          from: q.from === undefined ? undefined : parseTime(q.from, 'from'),
          to: q.to === undefined ? undefined : parseTime(q.to, 'to'),
        }),
      );
    },
  );
}
