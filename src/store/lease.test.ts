import { test } from 'node:test';
import assert from 'node:assert/strict';
import { setTimeout as delay } from 'node:timers/promises';
import { testDbLocation, withTestStore } from './test-db.ts';
import { Store } from './store.ts';
import { checkFence } from './lease.ts';
import { IDLE_IN_TRANSACTION_MS, type Db } from './db.ts';

// Runs on SQLite, and on PostgreSQL in CI (VIGIL_DB): the lease and its fence are the store's.
const a = { boot: 'boot-a', id: 'm1', url: 'https://m1:8080' };
const b = { boot: 'boot-b', id: 'm2', url: 'https://m2:8080' };

test('one holder at a time: a live lease is not taken, a lapsed one is, under the next term', () =>
  withTestStore(async (s) => {
    const t1 = await s.leases.take(a, 300);
    assert.ok(t1 !== undefined && t1 >= 2, 'the first leader takes the term after the one assignments carried');
    assert.equal(await s.leases.take(b, 300), undefined, 'held and live');
    const l = await s.leases.read();
    assert.equal(l.holder, 'boot-a');
    assert.equal(l.holderId, 'm1');
    assert.ok(l.expiresAtMs > l.nowMs && l.expiresAtMs - l.nowMs <= 300);
    assert.equal(await s.leases.renew({ boot: 'boot-a', term: t1, url: a.url }, 300), true);
    await delay(400);
    assert.equal(
      await s.leases.renew({ boot: 'boot-a', term: t1, url: a.url }, 300),
      false,
      'a lapsed lease is not renewed',
    );
    const t2 = await s.leases.take(b, 300);
    assert.equal(t2, t1 + 1);
    assert.equal(
      await s.leases.renew({ boot: 'boot-a', term: t1, url: a.url }, 300),
      false,
      'the old leader cannot renew',
    );
    // Given up: taken at once, not a lease later.
    await s.leases.release({ boot: 'boot-b', term: t2! });
    assert.equal(await s.leases.take(a, 300), t2! + 1);
  }));

test('the fence: a write under an old term or a lapsed lease changes nothing and says NOT_LEADER', () =>
  withTestStore(async (s) => {
    const term = (await s.leases.take(a, 5000))!;
    let refused = 0;
    s.fence = { boot: 'boot-a', term, refused: () => refused++ };
    const g = await s.bumpGeneration();
    s.fence = { boot: 'boot-a', term: term - 1, refused: () => refused++ };
    await assert.rejects(s.bumpGeneration(), { code: 'NOT_LEADER' });
    await assert.rejects(
      s.insertFailover({ startedAt: 1, server: 's1', group: 1, trigger: 'manual', status: 'running', detail: {} }),
      { code: 'NOT_LEADER' },
    );
    assert.equal(refused, 2);
    s.fence = undefined;
    assert.equal((await s.snapshot()).generation, g, 'nothing of a refused write landed');
    assert.deepEqual(await s.failovers(), []);
    // The lease lapses: the same leader's writes are refused too.
    await s.leases.release({ boot: 'boot-a', term });
    s.fence = { boot: 'boot-a', term };
    await assert.rejects(s.bumpGeneration(), { code: 'NOT_LEADER' });
  }));

test('masters seen: each one with its URL, version and how long ago', () =>
  withTestStore(async (s) => {
    await s.leases.see({ ...a, version: '1.0' });
    await s.leases.see({ ...b, version: '1.0' });
    await s.leases.see({ ...a, url: 'https://m1:9090', version: '1.1' });
    const m = await s.leases.masters();
    assert.deepEqual(
      m.map((x) => [x.id, x.url, x.version]),
      [
        ['m1', 'https://m1:9090', '1.1'],
        ['m2', 'https://m2:8080', '1.0'],
      ],
    );
    assert.ok(m.every((x) => x.seenAgoMs >= 0 && x.seenAgoMs < 5000));
  }));

test('raise: the leader moves its live lease on to a higher term and writes under it; never lower, never another master, never a lapsed lease', () =>
  withTestStore(async (s) => {
    const term = (await s.leases.take(a, 5000))!;
    const f = { boot: 'boot-a', term };
    assert.equal(await s.leases.raise(f, term, 5000), false, 'not above its term');
    assert.equal(await s.leases.raise({ boot: 'boot-b', term }, term + 5, 5000), false, "another master's lease");
    assert.equal(await s.leases.raise(f, term + 5, 5000), true);
    const l = await s.leases.read();
    assert.equal(l.term, term + 5);
    assert.equal(l.holder, 'boot-a');
    assert.ok(l.expiresAtMs - l.nowMs > 4000, 'renewed with it');
    s.fence = f;
    await assert.rejects(s.bumpGeneration(), { code: 'NOT_LEADER' }, 'the old term is fenced off');
    s.fence = { boot: 'boot-a', term: term + 5 };
    await s.bumpGeneration();
    assert.equal(await s.leases.raise(f, term + 9, 5000), false, 'from a term that is over');
    await s.leases.release({ boot: 'boot-a', term: term + 5 });
    assert.equal(await s.leases.raise({ boot: 'boot-a', term: term + 5 }, term + 9, 5000), false, 'given up');
    assert.equal(await s.leases.take(b, 300), term + 6, 'the next leader goes on from the raised term');
    await delay(400);
    const lapsed = { boot: 'boot-b', term: term + 6 };
    assert.equal(await s.leases.raise(lapsed, term + 9, 5000), false, 'a lapsed lease');
    assert.equal((await s.leases.read()).term, term + 6);
  }));

test('a master takes its own live lease again under the next term (a renewal that landed after it stood down); no other master does', () =>
  withTestStore(async (s) => {
    const t1 = (await s.leases.take(a, 5000))!;
    assert.equal(await s.leases.take(b, 5000), undefined, 'live, and not b’s');
    assert.equal(await s.leases.take(a, 5000), t1 + 1, 'its own: the next term, so writes of the last are fenced');
    assert.equal(await s.leases.renew({ boot: 'boot-a', term: t1, url: a.url }, 5000), false, 'the old term is over');
  }));

test(
  'PostgreSQL: a leader paused inside a fenced write does not hold the takeover off: the server ends its idle transaction',
  {
    skip: !process.env.VIGIL_DB && 'needs VIGIL_DB=postgres://…',
  },
  () =>
    withTestStore(async (s) => {
      const { db } = s as unknown as { db: Db };
      const term = (await s.leases.take(a, 300))!;
      let paused = false;
      let resume = () => {};
      // Its fenced write reads the lease row FOR SHARE, then the master stops (SIGSTOP) before the next
      // statement, until resumed: without the server's idle timeout the takeover waits for it.
      const write = db
        .transaction()
        .execute(async (tx) => {
          await checkFence(tx, 'postgres', { boot: 'boot-a', term });
          paused = true;
          await new Promise<void>((r) => {
            resume = r;
          });
        })
        .catch((err: Error) => err);
      while (!paused) await delay(10);
      await delay(400); // the lease has lapsed
      const taken = await Promise.race([
        s.leases.take(b, 300),
        delay(IDLE_IN_TRANSACTION_MS + 8000).then(() => 'blocked'),
      ]);
      resume();
      assert.equal(taken, term + 1, 'the standby takes the lease while the old leader is still paused');
      assert.ok((await write) instanceof Error, "the paused master's transaction was ended, not committed");
    }),
);

test('PostgreSQL: masters started together on a fresh database migrate it one at a time, and both open it', {
  skip: !process.env.VIGIL_DB && 'needs VIGIL_DB=postgres://…',
}, async (t) => {
  const { location, drop } = await testDbLocation();
  t.after(drop);
  const opened = await Promise.allSettled([Store.open(location), Store.open(location), Store.open(location)]);
  for (const o of opened) if (o.status === 'fulfilled') await o.value.close();
  assert.deepEqual(
    opened.map((o) => (o.status === 'rejected' ? String(o.reason) : 'open')),
    ['open', 'open', 'open'],
  );
});
