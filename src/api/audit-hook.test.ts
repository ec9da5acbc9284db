import { test } from 'node:test';
import assert from 'node:assert/strict';
import { setImmediate as tick } from 'node:timers/promises';
import { apiHarness } from '../../test/support/api-harness.ts';
import type { FarmConfigInput } from '../config/farm-config.ts';
import type { AuditEntry } from '../store/audit.ts';
import type { FailoverEntry } from '../store/failover-log.ts';
import { NEXT_BEFORE_HEADER } from './page-query.ts';

const backend = process.env.VIGIL_DB ? 'postgres' : 'sqlite';
const farm = (): FarmConfigInput => ({
  settings: { FarmHealthStartDelayMs: 60_000 },
  groups: [{ id: 1 }],
  servers: ['s1', 's2', 's3'].map((id, i) => ({ id, group: 1, host: '127.0.0.1', udpPort: 19501 + i })),
  cameras: [
    { id: 'c1', url: 'rtsp://admin:hunter2@127.0.0.1:19599/c1', server: 's1' },
    { id: 'c2', url: 'rtsp://127.0.0.1:19599/c2', server: 's3' },
  ],
});

/** Waits until `fn` holds: entries are written once the answer is sent, not before. */
async function until<T>(fn: () => Promise<T | undefined>, what: string): Promise<T> {
  for (let i = 0; i < 10_000; i++) {
    const v = await fn();
    if (v !== undefined) return v;
    await tick();
  }
  throw new Error(`never: ${what}`);
}

test(`${backend}: every change and login attempt is audited with its actor, address, target, redacted parameters and answer`, async (t) => {
  const h = await apiHarness(t, farm());
  const next = farm();
  next.cameras.push({ id: 'c3', url: 'rtsp://u:secret@127.0.0.1:19599/c3', server: 's2' });
  assert.equal((await h.inject('PUT', '/api/v1/config', { as: 'user:alice:admin', body: next })).statusCode, 200);
  const fo = await h.inject('POST', '/api/v1/servers/s1/failover', { as: 'user:bob:operator' });
  assert.equal(fo.statusCode, 200, fo.body);
  assert.equal((fo.json() as FailoverEntry).detail.actor, 'user:bob', 'the failover log entry names its actor');
  const mv = await h.inject('POST', '/api/v1/cameras/c2/move', { as: 'token:carol/ci:operator', body: { to: 's2' } });
  assert.equal(mv.statusCode, 200, mv.body);
  assert.equal((mv.json() as FailoverEntry).detail.actor, 'token:carol/ci');
  assert.equal(
    (await h.inject('POST', '/api/v1/servers/s2/drain', { token: 'wrong' })).statusCode,
    401,
    'a refused change is audited too',
  );
  // Neither reads nor a server's status are audited.
  await h.inject('GET', '/api/v1/cameras', { as: 'user:alice:admin' });
  const status = { bootId: 'b', suspects: [], cameras: {}, segments: [] };
  assert.equal((await h.inject('POST', '/api/v1/nodes/s2/status', { as: 'server:s2', body: status })).statusCode, 200);

  const entries = await until(async () => {
    const page = (await h.store.audit({ limit: 100 })).entries;
    return page.length >= 4 ? page : undefined;
  }, 'four entries');
  const view = (e: AuditEntry) => [e.actor, e.address, e.method, e.route, e.target, e.status];
  assert.deepEqual(entries.map(view), [
    ['user:alice', '127.0.0.1', 'PUT', '/api/v1/config', null, 200],
    ['user:bob', '127.0.0.1', 'POST', '/api/v1/servers/:id/failover', 's1', 200],
    ['token:carol/ci', '127.0.0.1', 'POST', '/api/v1/cameras/:id/move', 'c2', 200],
    ['anonymous', '127.0.0.1', 'POST', '/api/v1/servers/:id/drain', 's2', 401],
  ]);
  assert.equal(entries[0].summary, 'groups +0 −0 ~0, servers +0 −0 ~0, cameras +1 −0 ~0, settings ~0');
  assert.deepEqual(entries[0].params, {}, 'the configuration itself is not kept, its summary is');
  assert.deepEqual(entries[2].params, { params: { id: 'c2' }, body: { to: 's2' } });
  assert.ok(!JSON.stringify(entries).includes('secret') && !JSON.stringify(entries).includes('hunter2'));

  // The API: admin's GET /api/v1/audit, by actor, paginated; the failover log shows the actors too.
  const byBob = await h.inject('GET', '/api/v1/audit?actor=bob', { as: 'user:alice:admin' });
  assert.deepEqual(
    (byBob.json() as AuditEntry[]).map((e) => e.route),
    ['/api/v1/servers/:id/failover'],
  );
  const last2 = await h.inject('GET', '/api/v1/audit?limit=2');
  assert.deepEqual(
    (last2.json() as AuditEntry[]).map((e) => e.actor),
    ['token:carol/ci', 'anonymous'],
  );
  const before = last2.headers[NEXT_BEFORE_HEADER];
  assert.equal(before, String(entries[2].id));
  const first2 = await h.inject('GET', `/api/v1/audit?limit=2&before=${before}`);
  assert.deepEqual(
    (first2.json() as AuditEntry[]).map((e) => e.actor),
    ['user:alice', 'user:bob'],
  );
  assert.equal(first2.headers[NEXT_BEFORE_HEADER], undefined, 'the oldest page');
  const since = await h.inject('GET', `/api/v1/audit?from=${entries[3].at}`);
  assert.ok((since.json() as AuditEntry[]).every((e) => e.at >= entries[3].at));
  assert.equal((await h.inject('GET', '/api/v1/audit?limit=1001')).statusCode, 400, 'a page of 1000 at most');
  assert.equal((await h.inject('GET', '/api/v1/audit', { token: 'wrong' })).statusCode, 401);
  const log = (await h.inject('GET', '/api/v1/failovers')).json() as FailoverEntry[];
  assert.deepEqual(
    log.map((f) => [f.trigger, f.detail.actor]),
    [
      ['manual', 'user:bob'],
      ['move', 'token:carol/ci'],
    ],
  );
});

test('an audit entry that cannot be written is logged loudly; the request it records stands', async (t) => {
  const h = await apiHarness(t, farm(), { append: () => Promise.reject(new Error('disk full')) });
  const res = await h.inject('POST', '/api/v1/servers/s1/failover', { as: 'user:bob:operator' });
  assert.equal(res.statusCode, 200);
  const line = await until(
    async () => h.lines.find((l) => /AUDIT ENTRY NOT WRITTEN/.test(String(l.msg))),
    'the log line',
  );
  assert.equal(line.level, 50, 'at error level');
  assert.deepEqual(
    [(line.audit as AuditEntry).actor, (line.audit as AuditEntry).route, (line.err as { message: string }).message],
    ['user:bob', '/api/v1/servers/:id/failover', 'disk full'],
  );
  assert.equal(h.controller.state().cameras.find((c) => c.id === 'c1')!.current, 's2', 'the failover happened');
});
