import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { actorName } from '../auth/principal.ts';
import type { AuditEntry } from '../store/audit.ts';
import type { Logger } from '../lib/log.ts';
import { CLIENT_GONE, auditEntryOf, audited } from './audit-record.ts';
import { clientAddress } from './client-address.ts';

/** What the audit hook writes to, and where it complains. */
export interface AuditHookDeps {
  /** Appends an entry to the audit log (Store.appendAudit). */
  append: (e: Omit<AuditEntry, 'id'>) => Promise<unknown>;
  log: Logger;
  now?: () => number;
  /** Requests this app did not answer itself (a standby's forward to the leader, which audits them). */
  skip?: (req: FastifyRequest) => boolean;
}

const summaries = new WeakMap<FastifyRequest, string>();

/** Tells the audit hook what a request changed (a configuration's summary), for its entry. */
export function setAuditSummary(req: FastifyRequest, summary: string): void {
  summaries.set(req, summary);
}

/**
 * Writes one audit entry per audited request (see `audited`: every change, every export, every
 * login attempt) once it is answered: an `onResponse` hook, which runs whichever hook or handler
 * answered (a 401 or 403 of the authentication hook included). A client that goes away before the
 * answer is complete (an export cancelled) is recorded as 499 from the response's close, which an
 * onRequest hook watches. The entry is written after the answer: failing to write it is logged
 * loudly and changes nothing for the request, which has happened. Pending writes end before the
 * app closes (the store closes after it).
 */
export function registerAuditHook(app: FastifyInstance, d: AuditHookDeps): void {
  const now = d.now ?? Date.now;
  const written = new WeakSet<FastifyRequest>();
  const pending = new Set<Promise<void>>();

  // Once the connection is gone Node no longer knows its peer: the address is taken while it does.
  const addresses = new WeakMap<FastifyRequest, string>();
  const record = (req: FastifyRequest, status: number) => {
    if (written.has(req) || d.skip?.(req)) return;
    written.add(req);
    const entry = auditEntryOf(
      {
        method: req.method,
        route: req.routeOptions.url!,
        params: req.params,
        query: req.query,
        body: req.body,
        actor: actorName(req.principal),
        address: addresses.get(req) ?? clientAddress(req),
      },
      status,
      now(),
      summaries.get(req),
    );
    const write = d
      .append(entry)
      .then(
        () => undefined,
        (err: unknown) =>
          d.log.error(
            { err, audit: entry },
            'AUDIT ENTRY NOT WRITTEN: the request was carried out but the audit log does not show it',
          ),
      )
      .finally(() => pending.delete(write));
    pending.add(write);
  };

  app.addHook('onRequest', async (req: FastifyRequest, reply: FastifyReply) => {
    if (!audited(req.method, req.routeOptions.url)) return;
    addresses.set(req, clientAddress(req));
    reply.raw.once('close', () => {
      if (!reply.raw.writableFinished) record(req, CLIENT_GONE);
    });
  });
  app.addHook('onResponse', async (req: FastifyRequest, reply: FastifyReply) => {
    if (audited(req.method, req.routeOptions.url)) record(req, reply.statusCode);
  });
  app.addHook('onClose', async () => {
    await Promise.all([...pending]);
  });
}
