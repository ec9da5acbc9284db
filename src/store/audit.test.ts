import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Store } from './store.ts';
import { withTestStore } from './test-db.ts';
import type { AuditEntry } from './audit.ts';

const backend = process.env.VIGIL_DB ? 'postgres' : 'sqlite';

const entry = (at: number, actor: string, over: Partial<AuditEntry> = {}): Omit<AuditEntry, 'id'> => ({
  at,
  actor,
  address: '127.0.0.1',
  method: 'POST',
  route: '/api/v1/servers/:id/failover',
  target: 's1',
  params: { params: { id: 's1' } },
  summary: null,
  status: 200,
  ...over,
});

test(`${backend}: the audit log keeps each entry as written and reads it in pages, oldest first`, () =>
  withTestStore(async (store) => {
    const config = entry(1000, 'user:alice', {
      method: 'PUT',
      route: '/api/v1/config',
      target: null,
      params: {},
      summary: 'servers +1 −0 ~0',
    });
    const ids = [];
    ids.push(await store.appendAudit(config));
    for (let i = 1; i < 5; i++) ids.push(await store.appendAudit(entry(1000 + i, 'user:bob')));
    const all = await store.audit({ limit: 100 });
    assert.equal(all.nextBefore, undefined);
    assert.deepEqual(all.entries[0], { id: ids[0], ...config });
    assert.deepEqual(
      all.entries.map((e) => e.at),
      [1000, 1001, 1002, 1003, 1004],
    );
    const newest = await store.audit({ limit: 2 });
    assert.deepEqual(
      newest.entries.map((e) => e.id),
      [ids[3], ids[4]],
    );
    assert.equal(newest.nextBefore, ids[3]);
    const older = await store.audit({ limit: 2, before: newest.nextBefore });
    assert.deepEqual(
      older.entries.map((e) => e.id),
      [ids[1], ids[2]],
    );
    const oldest = await store.audit({ limit: 2, before: older.nextBefore });
    assert.deepEqual(oldest, { entries: [{ id: ids[0], ...config }] });
  }));

test(`${backend}: the audit log filters by time and by actor; a bare name is the user's sessions and tokens`, () =>
  withTestStore(async (store) => {
    for (const [at, actor] of [
      [10, 'user:alice'],
      [20, 'token:alice/backup'],
      [30, 'token:alicia/x'],
      [40, 'user:al'],
      [50, 'server:s1'],
      [60, 'anonymous'],
      [70, 'token:al/_%'],
    ] as const)
      await store.appendAudit(entry(at, actor));
    const actors = async (q: Parameters<Store['audit']>[0]) => (await store.audit(q)).entries.map((e) => e.actor);
    assert.deepEqual(await actors({ limit: 100, actor: 'alice' }), ['user:alice', 'token:alice/backup']);
    assert.deepEqual(await actors({ limit: 100, actor: 'al' }), ['user:al', 'token:al/_%']);
    assert.deepEqual(await actors({ limit: 100, actor: 'token:alice/backup' }), ['token:alice/backup']);
    assert.deepEqual(await actors({ limit: 100, actor: 'server:s1' }), ['server:s1']);
    assert.deepEqual(await actors({ limit: 100, from: 20, to: 50 }), [
      'token:alice/backup',
      'token:alicia/x',
      'user:al',
    ]);
    assert.deepEqual(await actors({ limit: 1, from: 20, to: 50 }), ['user:al']);
    assert.deepEqual(await actors({ limit: 100, actor: 'nobody' }), []);
  }));

test(`${backend}: the failover log reads in pages, newest page first, each oldest first`, () =>
  withTestStore(async (store) => {
    const ids = [];
    for (let i = 0; i < 5; i++)
      ids.push(
        await store.insertFailover({
          startedAt: i,
          server: `s${i}`,
          group: 1,
          trigger: 'manual',
          status: 'done',
          detail: { reporters: [], moves: [], unrecorded: [], steps: [] },
        }),
      );
    const first = await store.failoverPage({ limit: 3 });
    assert.deepEqual(
      first.entries.map((f) => f.server),
      ['s2', 's3', 's4'],
    );
    assert.equal(first.nextBefore, ids[2]);
    const next = await store.failoverPage({ limit: 3, before: first.nextBefore });
    assert.deepEqual([next.entries.map((f) => f.server), next.nextBefore], [['s0', 's1'], undefined]);
    assert.deepEqual(
      (await store.failoverPage({ limit: 1000 })).entries.map((f) => f.id),
      ids,
    );
  }));
