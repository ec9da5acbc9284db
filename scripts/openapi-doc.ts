// The master's OpenAPI document, from its routes' schemas, without a store, a farm or a port:
// the app is built as master.ts builds it (masterApp) but never listens nor serves a request.
import type { Controller } from '../src/controller/controller.ts';
import type { Store } from '../src/store/store.ts';
import type { Enrollment } from '../src/auth/enrollment.ts';
import type { SetupToken } from '../src/auth/setup-token.ts';
import { masterApp } from '../src/master/master-app.ts';
import { createLogger } from '../src/lib/log.ts';

/** The OpenAPI document GET /api/v1/openapi.json serves. */
export async function openApiDocument(): Promise<Record<string, unknown>> {
  const unused = new Proxy(
    {},
    {
      get: (_t, p) => {
        if (p === 'then') return undefined;
        throw new Error(`the OpenAPI build touched ${String(p)}`);
      },
    },
  );
  const app = await masterApp({
    log: createLogger('openapi', 'silent'),
    controller: unused as Controller,
    store: unused as Store,
    nodeTls: {} as never,
    enrollment: unused as Enrollment,
    caPem: '',
    applyConfig: async () => ({ warnings: [], summary: '' }),
    setup: unused as SetupToken,
    masterInfo: () => {
      throw new Error('not served');
    },
  });
  await app.ready();
  const doc = app.swagger() as Record<string, unknown>;
  await app.close();
  return doc;
}
