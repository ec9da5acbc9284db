import { test } from 'node:test';
import assert from 'node:assert/strict';
import Fastify from 'fastify';
import { errorHandler } from './error-handler.ts';
import { createLogger } from '../log.ts';

/** A request that fails as node-postgres does when its server is down. */
async function answer(farmStore: boolean) {
  const app = Fastify();
  app.setErrorHandler(errorHandler(createLogger('t', 'silent'), 'test', { farmStore }));
  app.get('/x', async () => {
    throw Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:5432'), { code: 'ECONNREFUSED' });
  });
  const res = await app.inject({ method: 'GET', url: '/x' });
  await app.close();
  return { status: res.statusCode, code: (res.json() as { error: { code: string } }).error.code };
}

test('on the master, a farm store that cannot be reached answers 503 STORE_UNAVAILABLE in the error shape', async () => {
  assert.deepEqual(await answer(true), { status: 503, code: 'STORE_UNAVAILABLE' });
});

test('elsewhere (a node API) the same socket error is not the store: INTERNAL', async () => {
  assert.deepEqual(await answer(false), { status: 500, code: 'INTERNAL' });
});
