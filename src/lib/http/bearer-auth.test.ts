import { test } from 'node:test';
import assert from 'node:assert/strict';
import Fastify from 'fastify';
import { bearerAuth, bearerMatches } from './bearer-auth.ts';
import { errorHandler } from './error-handler.ts';
import { statusBeforeBody } from './slow-body.ts';
import { createLogger } from '../log.ts';

const TOKEN = Buffer.from('t0ken');

test('the bearer token matches only whole', () => {
  assert.equal(bearerMatches('Bearer t0ken', TOKEN), true);
  assert.equal(bearerMatches('t0ken', TOKEN), true);
  assert.equal(bearerMatches('Bearer t0ke', TOKEN), false);
  assert.equal(bearerMatches('Bearer t0ken2', TOKEN), false);
  assert.equal(bearerMatches(undefined, TOKEN), false);
});

test('a request without the token is answered 401 at once, before its (huge, slow) body is read', async (t) => {
  const app = Fastify({ bodyLimit: 128 * 1024 * 1024 });
  t.after(() => app.close());
  app.setErrorHandler(errorHandler(createLogger('test', 'silent'), 'test'));
  let bodies = 0;
  app.post('/w', { onRequest: bearerAuth(TOKEN, 'API token') }, async () => {
    bodies++;
    return { ok: true };
  });
  const url = await app.listen({ host: '127.0.0.1', port: 0 });
  for (const authorization of [undefined, 'Bearer wrong']) {
    const r = await statusBeforeBody(`${url}/w`, 'POST', authorization ? { authorization } : {});
    assert.equal(r.status, 401);
    assert.ok(r.ms < 2000, `answered after ${r.ms} ms`);
  }
  const ok = await app.inject({ method: 'POST', url: '/w', headers: { authorization: 'Bearer t0ken' }, payload: {} });
  assert.equal(ok.statusCode, 200);
  assert.equal(bodies, 1, 'only the authenticated request reached its handler');
  const refused = await app.inject({ method: 'POST', url: '/w', payload: {} });
  assert.deepEqual(refused.json(), {
    error: { code: 'UNAUTHORIZED', message: 'missing or wrong API token', details: [] },
  });
});
