import { test } from 'node:test';
import assert from 'node:assert/strict';
import Fastify from 'fastify';
import { applyServerTimeouts, timeoutOptions, type ServerTimeouts } from './server-limits.ts';
import { errorHandler } from './error-handler.ts';
import { headersNeverEnd, statusBeforeBody } from './slow-body.ts';
import { createLogger } from '../log.ts';

const short: ServerTimeouts = { requestMs: 400, headersMs: 300, idleMs: 5000, keepAliveMs: 1000, checkEveryMs: 50 };

async function app(t: { after: (fn: () => Promise<unknown>) => void }) {
  const a = Fastify({ ...timeoutOptions(short), bodyLimit: 128 * 1024 * 1024 });
  t.after(() => a.close());
  a.setErrorHandler(errorHandler(createLogger('test', 'silent'), 'test'));
  a.post('/w', async () => ({ ok: true }));
  a.post('/small', { bodyLimit: 1024 }, async () => ({ ok: true }));
  applyServerTimeouts(a.server, short);
  return a.listen({ host: '127.0.0.1', port: 0 });
}

test('a client that sends its headers and a bit of body, then stops, is answered 408 and cut', async (t) => {
  const url = await app(t);
  const r = await statusBeforeBody(`${url}/w`, 'POST', {});
  assert.equal(r.status, 408);
  assert.deepEqual(JSON.parse(r.body), {
    error: { code: 'REQUEST_TIMEOUT', message: 'the request did not arrive whole within 0.4 s', details: [] },
  });
});

test('a client that never ends its headers is answered 408 and cut', async (t) => {
  const url = await app(t);
  const got = await headersNeverEnd(`${url}/w`);
  assert.match(got, /^HTTP\/1\.1 408 /);
  assert.match(got, /"code":"REQUEST_TIMEOUT"/);
});

test("a body over its route's limit is refused 413 in the one error shape, before it is read", async (t) => {
  const url = await app(t);
  const r = await statusBeforeBody(`${url}/small`, 'POST', {}, 4096);
  assert.equal(r.status, 413);
  assert.deepEqual(JSON.parse(r.body), {
    error: { code: 'BODY_TOO_LARGE', message: "the body is over this route's limit of 1024 bytes", details: [] },
  });
  const ok = await fetch(`${url}/small`, {
    method: 'POST',
    body: '{}',
    headers: { 'content-type': 'application/json' },
  });
  assert.equal(ok.status, 200);
});
