import { Writable } from 'node:stream';
import Fastify, { LogController, type FastifyBaseLogger, type FastifyInstance } from 'fastify';
import { Controller } from '../../src/controller/controller.ts';
import { Store } from '../../src/store/store.ts';
import { testDbLocation } from '../../src/store/test-db.ts';
import type { FarmConfigInput } from '../../src/config/farm-config.ts';
import { createLogger } from '../../src/lib/log.ts';
import { errorHandler } from '../../src/lib/http/error-handler.ts';
import { registerRoutes } from '../../src/api/routes.ts';
import { registerAuditHook, type AuditHookDeps } from '../../src/api/audit-hook.ts';
import type { ApiLimits } from '../../src/api/limits.ts';
import { applyFarmConfig } from '../../src/master/apply-config.ts';
import type { Principal } from '../../src/auth/principal.ts';
import { TEST_ALIVE_KEYS } from './controller-harness.ts';
import { VigilError } from '../../src/lib/errors.ts';
import { storeSecretKey } from '../../src/store/secret-url.ts';
import { randomBytes } from 'node:crypto';
import { testPki } from '../../src/auth/test-pki.ts';
import { farmClientTls } from '../../src/auth/peer-identity.ts';

/** The header a test names its principal with: `user:alice:admin`, `token:carol/ci:operator`, `server:s1`. */
export const AS = 'x-test-principal';

/** A principal as the header names it. */
export function principalOf(text: string): Principal {
  const [kind, name, role = 'admin'] = text.split(':');
  if (kind === 'server') return { kind: 'server', server: name };
  const [user, token] = name.split('/');
  return kind === 'token'
    ? { kind: 'user', user, role: role as 'admin', via: 'token', token }
    : { kind: 'user', user, role: role as 'admin', via: 'session' };
}

/**
 * For tests: the master's routes on a real store and controller (no timer), with the audit hook as
 * the master registers it, and a stand-in for the authentication hook that sets the principal a
 * request names in its AS header. Requests carry the farm's API token unless told otherwise.
 */
export async function apiHarness(
  t: { after: (fn: () => Promise<void>) => void },
  config: FarmConfigInput,
  o: { limits?: ApiLimits; append?: AuditHookDeps['append'] } = {},
) {
  const { location, drop } = await testDbLocation();
  const store = await Store.open(location, { secretKey: storeSecretKey(randomBytes(32)) });
  const lines: Record<string, unknown>[] = [];
  const log = createLogger(
    'test',
    'info',
    new Writable({
      write(chunk, _enc, done) {
        lines.push(JSON.parse(String(chunk)) as Record<string, unknown>);
        done();
      },
    }),
  );
  const controller = new Controller({ store, log, tickMs: 0, aliveKeyOf: TEST_ALIVE_KEYS });
  await controller.start();
  const applyConfig = async (input: unknown) => applyFarmConfig(input, { controller, checkStorage: async () => [] });
  await applyConfig(config);
  const app: FastifyInstance = Fastify({
    loggerInstance: log as FastifyBaseLogger,
    logController: new LogController({ disableRequestLogging: true }),
  });
  app.setErrorHandler(errorHandler(log, 'test API'));
  registerAuditHook(app, { append: o.append ?? ((e) => store.appendAudit(e)), log });
  const apiToken = Buffer.from('vt_api-harness');
  const pki = await testPki();
  // A stand-in for the authentication hook (src/api/auth-hook.ts, tested on its own): the principal
  // a test names, else the harness's token lets the request in unnamed; anything else is refused.
  app.addHook('onRequest', async (req) => {
    const as = req.headers[AS];
    if (typeof as === 'string') req.principal = principalOf(as);
    else if (req.headers.authorization !== `Bearer ${apiToken.toString()}`)
      throw new VigilError('UNAUTHORIZED', 'missing or wrong API token');
  });
  // The master's client of node APIs: the test CA's master certificate (a stub node can be served with pki.server).
  const nodeTls = farmClientTls({ ...pki.ca.master, ca: pki.ca.caPem }, 'server');
  registerRoutes(app, { controller, store, nodeTls, applyConfig, ...(o.limits && { limits: o.limits }) });
  t.after(async () => {
    await controller.close();
    await app.close();
    await store.close();
    await drop();
    pki.remove();
  });
  const token = apiToken.toString();
  /** A request as `as` (a principal, or nobody), with the token unless `token` says otherwise. */
  const inject = (
    method: 'GET' | 'POST' | 'PUT',
    url: string,
    w: { as?: string; body?: unknown; token?: string } = {},
  ) =>
    app.inject({
      method,
      url,
      headers: {
        authorization: `Bearer ${w.token ?? token}`,
        ...(w.as && { [AS]: w.as }),
        ...(w.body !== undefined && { 'content-type': 'application/json' }),
      },
      ...(w.body !== undefined && { payload: JSON.stringify(w.body) }),
    });
  /** Listens on a loopback port; resolves with the base URL. */
  const listen = () => app.listen({ host: '127.0.0.1', port: 0 });
  return { app, store, controller, inject, listen, token, lines, pki };
}
