import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Controller } from './controller.ts';
import { createLogger } from '../lib/log.ts';
import { controllerHarness, TEST_ALIVE_KEYS } from '../../test/support/controller-harness.ts';

// A new leader takes the farm up from the store (Controller.start with a term): what the old one began.
const settings = { FarmHealthStartDelayMs: 0, FarmHealthMissedUdpMs: 1000, StatusIntervalMs: 250 };
const config = {
  settings,
  groups: [{ id: 1, policy: 'distribute' as const }],
  servers: ['a', 'b'].map((id, i) => ({ id, group: 1, host: '127.0.0.1', udpPort: 19131 + i })),
  cameras: [{ id: 'ca', url: 'rtsp://127.0.0.1:18998/ca', server: 'a' }],
};

/** A master's controller over the harness's store (not started), closed after the test. */
function controllerOn(
  t: { after: (fn: () => Promise<void>) => void },
  h: Awaited<ReturnType<typeof controllerHarness>>,
  deciding?: () => boolean,
): Controller {
  const c = new Controller({
    store: h.store,
    log: createLogger('test', 'silent'),
    clock: h.clock,
    tickMs: 0,
    aliveKeyOf: TEST_ALIVE_KEYS,
    deciding,
  });
  t.after(() => c.close());
  return c;
}

/** This master (boot `me`) holds the lease and its controller leads under that term. */
async function leadingAsMe(t: { after: (fn: () => Promise<void>) => void }) {
  const h = await controllerHarness(t, config);
  const me = { boot: 'me', id: 'm1', url: 'https://m1' };
  const t1 = (await h.store.leases.take(me, 60_000))!;
  h.store.fence = { boot: 'me', term: t1 };
  const c = controllerOn(t, h);
  await c.start({ term: t1 });
  return { h, me, t1, c };
}

/** The old leader (the harness's controller) is gone; another master takes the lease: its controller, not started. */
async function nextLeader(
  t: { after: (fn: () => Promise<void>) => void },
  h: Awaited<ReturnType<typeof controllerHarness>>,
) {
  await h.c.close();
  const term = (await h.store.leases.take({ boot: 'next', id: 'm2', url: 'https://m2' }, 60_000))!;
  h.store.fence = { boot: 'next', term };
  return { next: controllerOn(t, h), term };
}

test('a failover confirmed and never committed (its leader died between) is planned again and carried out by the next leader', async (t) => {
  const h = await controllerHarness(t, config);
  // The old leader's last writes: the verdict and the entry; then it died.
  await h.store.setServerState('a', 'down', h.clock.t);
  const id = await h.store.insertFailover({
    startedAt: h.clock.t,
    server: 'a',
    group: 1,
    trigger: 'buddy-quorum',
    status: 'running',
    detail: {
      reporters: ['b'],
      confirmedAt: h.clock.t,
      firstReportAt: h.clock.t,
      moves: [],
      unrecorded: [],
      steps: [{ step: 'detect', at: h.clock.t, ms: 0 }],
    },
  });
  const { next, term } = await nextLeader(t, h);
  const generation = (await h.store.snapshot()).generation;
  await next.start({ term, takeover: true });
  assert.equal(next.state().term, term, 'its assignments carry its term');
  assert.ok(next.state().generation > generation, 'the generation moved on: every server hears the new term');
  await next.tick();
  const fo = (await h.store.failover(id))!;
  assert.equal(fo.status, 'running');
  assert.deepEqual(
    fo.detail.moves.map((m) => [m.camera, m.to]),
    [['ca', 'b']],
    'its own entry, no second one',
  );
  assert.ok(fo.detail.steps.some((s) => s.step === 'commit'));
  assert.equal((await h.store.failovers()).length, 1);
  assert.equal((await h.store.snapshot()).cameras[0].current, 'b');
  assert.equal(next.assignment('b')!.term, term);
});

test('a controller that stood down decides nothing; its writes under an old term are fenced', async (t) => {
  const h = await controllerHarness(t, config);
  let leading = true;
  const term = (await h.store.leases.take({ boot: 'me', id: 'm1', url: 'https://m1' }, 60_000))!;
  h.store.fence = { boot: 'me', term };
  const c = controllerOn(t, h, () => leading);
  await c.start({ term });
  leading = false;
  await assert.rejects(c.manualFailover('a'), { code: 'NOT_LEADER' });
  assert.throws(() => c.serveAssignment('a'), { code: 'NOT_LEADER' });
  // Another master takes the lease: the store refuses what this one still tries.
  await h.store.leases.release({ boot: 'me', term });
  await h.store.leases.take({ boot: 'other', id: 'm2', url: 'https://m2' }, 60_000);
  await assert.rejects(h.store.setServerState('a', 'down', 1), { code: 'NOT_LEADER' });
  assert.equal((await h.store.snapshot()).servers.find((s) => s.id === 'a')!.state, 'up');
});

test('a server the last leader found down, which died before it logged the failover: the next leader fails it over (trigger takeover)', async (t) => {
  const h = await controllerHarness(t, config);
  await h.store.setServerState('a', 'down', h.clock.t); // the verdict landed, the entry did not
  const { next, term } = await nextLeader(t, h);
  await next.start({ term, takeover: true });
  await next.tick();
  const [fo] = await h.store.failovers();
  assert.equal(fo.trigger, 'takeover');
  assert.deepEqual(
    fo.detail.moves.map((m) => [m.camera, m.to]),
    [['ca', 'b']],
  );
  await next.tick();
  assert.equal((await h.store.failovers()).length, 1, 'once');
});

test("a failback timer of the last leader is taken up by the next one, its health counted from the takeover, not from the server's return", async (t) => {
  const h = await controllerHarness(t, {
    ...config,
    groups: [{ id: 1, policy: 'distribute' as const, onReturn: 'failback' as const, failbackAfterMs: 2000 }],
  });
  await h.c.manualFailover('a');
  h.clock.t = 1_000_500;
  await h.back('a'); // the old leader counts a's health from here
  const { next, term } = await nextLeader(t, h);
  h.clock.t = 1_001_000;
  await next.start({ term, takeover: true });
  let seq = 100;
  const reportAt = async (ms: number) => {
    h.clock.t = 1_001_000 + ms;
    for (const id of ['a', 'b'])
      await next.onStatus(id, { bootId: `boot-${id}`, seq: seq++, suspects: [], cameras: {}, segments: [] });
    await next.tick();
  };
  await reportAt(1500); // 2 s after the return, 1.5 s after the takeover
  assert.equal((await h.store.failovers()).length, 1, 'not healthy long enough under this leader yet');
  await reportAt(2100);
  const fb = (await h.store.failovers())[1];
  assert.deepEqual([fb?.trigger, fb?.detail.target], ['failback', 'a'], 'failed back');
});

test("a write of an earlier term's parts that waited across this master's next takeover is refused under its own term", async (t) => {
  const { h, me, t1, c } = await leadingAsMe(t);
  const parts = (c as unknown as { store: typeof h.store }).store; // the term's view its parts write through
  // Another master leads a while, then this one leads again (not its own next term: taken up anew).
  await h.store.leases.release({ boot: 'me', term: t1 });
  const t2 = (await h.store.leases.take({ boot: 'other', id: 'm2', url: 'https://m2' }, 60_000))!;
  await h.store.leases.release({ boot: 'other', term: t2 });
  const t3 = (await h.store.leases.take(me, 60_000))!;
  h.store.fence = { boot: 'me', term: t3 };
  await c.start({ term: t3, takeover: true });
  await assert.rejects(parts.setServerState('a', 'down', 1), { code: 'NOT_LEADER' }, 'term 1’s write stays term 1’s');
  assert.equal((await h.store.snapshot()).servers.find((s) => s.id === 'a')!.state, 'up');
  await h.store.setServerState('a', 'up', null); // the store itself writes under t3
});

test('a master that leads again under its own next term (nobody led between) writes under that term', async (t) => {
  const { h, me, c } = await leadingAsMe(t);
  c.standDown();
  const t2 = (await h.store.leases.take(me, 60_000))!; // its own lease, the next term
  h.store.fence = { boot: 'me', term: t2 };
  await c.leadAgain(t2);
  const entry = await c.manualFailover('a');
  assert.equal(entry.server, 'a');
  assert.equal((await h.store.snapshot()).servers.find((s) => s.id === 'a')!.state, 'down');
});
