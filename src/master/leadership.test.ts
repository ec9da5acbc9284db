import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { setTimeout as delay } from 'node:timers/promises';
import pino from 'pino';
import { Leadership, type LeadershipOptions } from './leadership.ts';

// The lease's statements are the store's (lease.test.ts); here, what a master does with their answers.
const T = { leaseMs: 300, renewMs: 100, marginMs: 50 };

function leases(over: Partial<LeadershipOptions['leases']> = {}) {
  const calls: string[] = [];
  const l: LeadershipOptions['leases'] = {
    take: async () => {
      calls.push('take');
      return 7;
    },
    renew: async () => {
      calls.push('renew');
      return true;
    },
    raise: async (_f, to) => {
      calls.push(`raise ${to}`);
      return true;
    },
    release: async () => void calls.push('release'),
    read: async () => ({ holder: 'x', holderId: 'm2', holderUrl: 'https://m2', term: 3, expiresAtMs: 2, nowMs: 1 }),
    see: async () => {},
    ...over,
  };
  return { l, calls };
}

// Every one is closed after the file's tests, even one whose assertion failed: its timers would
// keep the test process alive for ever.
const made: Leadership[] = [];
after(() => Promise.all(made.map((l) => l.close())));

function leadership(l: LeadershipOptions['leases'], o: Partial<LeadershipOptions> = {}) {
  const events: string[] = [];
  const lead = new Leadership({
    ...T,
    leases: l,
    me: { boot: 'b1', id: 'm1', url: 'https://m1', version: 'test' },
    log: pino({ level: 'silent' }),
    onLead: async (term) => void events.push(`lead ${term}`),
    onStandDown: (why) => void events.push(`down: ${why}`),
    ...o,
  });
  made.push(lead);
  return { lead, events };
}

test('a free lease is taken and renewed; given up at close', async () => {
  const { l, calls } = leases();
  const { lead, events } = leadership(l, { leaseMs: 600 });
  await lead.start();
  assert.equal(lead.leading(), true);
  assert.equal(lead.currentTerm, 7);
  assert.deepEqual(lead.leader(), { id: 'm1', url: 'https://m1', term: 7 });
  await delay(700); // more than a lease: only renewals keep it
  assert.equal(lead.leading(), true);
  assert.ok(calls.filter((c) => c === 'renew').length >= 2);
  await lead.close();
  assert.deepEqual(events, ['lead 7', 'down: the master stops']);
  assert.equal(calls.at(-1), 'release');
});

test('a standby knows the leader from the store and takes over only when the lease is free', async () => {
  let free = false;
  const { l } = leases({ take: async () => (free ? 9 : undefined) });
  const { lead, events } = leadership(l);
  await lead.start();
  assert.equal(lead.leading(), false);
  assert.deepEqual(lead.leader(), { id: 'm2', url: 'https://m2', term: 3 });
  free = true;
  for (let i = 0; i < 200 && !lead.leading(); i++) await delay(10); // a standby looks every renewMs / 4
  assert.equal(lead.leading(), true);
  assert.deepEqual(events, ['lead 9']);
  await lead.close();
});

test('a renewal refused (another leads) stands down at once', async () => {
  const { l } = leases({
    renew: async () => false,
    take: (() => {
      let n = 0;
      return async () => (n++ === 0 ? 4 : undefined);
    })(),
  });
  const { lead, events } = leadership(l);
  await lead.start();
  await delay(150);
  assert.equal(lead.leading(), false);
  assert.match(events[1], /not this master's any more/);
  await lead.close();
});

test('a renewal that hangs (the store cut off): the leader stops by its own clock, lease less margin after it SENT the last good one', async () => {
  let hang = false;
  let lastGoodSent = 0;
  let n = 0;
  const { l } = leases({
    take: async () => (n++ === 0 ? 5 : undefined),
    renew: () => {
      if (hang) return new Promise<boolean>(() => {});
      lastGoodSent = performance.now();
      return Promise.resolve(true);
    },
  });
  let downAt = 0;
  const { lead, events } = leadership(l, {
    onStandDown: (why) => {
      events.push(why);
      downAt = performance.now();
    },
  });
  await lead.start();
  await delay(150);
  hang = true;
  while (!downAt) {
    // Whenever the guard's timer runs (late on a loaded machine), the synchronous check every decision
    // makes says no from lease − margin after the last good renewal was sent.
    if (performance.now() - lastGoodSent > T.leaseMs - T.marginMs + 1) assert.equal(lead.leading(), false);
    await delay(5);
  }
  assert.deepEqual(events, ['lead 5', 'the lease was not renewed in time']);
  const held = downAt - lastGoodSent;
  assert.ok(
    held >= T.leaseMs - T.marginMs - 5,
    `stood down ${held} ms after the last good renewal was sent, not before`,
  );
  await lead.close();
});

test('a paused leader (its clock jumped past the lease) is not leading before any timer of its own runs', async () => {
  let now = 0;
  const { l } = leases({
    take: (() => {
      let n = 0;
      return async () => (n++ === 0 ? 5 : undefined);
    })(),
  });
  const { lead } = leadership(l, { monotonic: () => now });
  await lead.start();
  assert.equal(lead.leading(), true);
  now = 249; // sent at 0: good until 0 + 300 − 50
  assert.equal(lead.leading(), true);
  now = 250;
  assert.equal(lead.leading(), false, 'the synchronous check every decision makes');
  assert.equal(lead.currentTerm, undefined);
  await lead.close();
});

test('a renewal due after the lease ran out on this clock (the loop ran late) is not sent: the master stands down', async () => {
  let now = 0;
  const { l, calls } = leases({
    take: (() => {
      let n = 0;
      return async () => (n++ === 0 ? 5 : undefined);
    })(),
  });
  const { lead, events } = leadership(l, { monotonic: () => now });
  await lead.start();
  now = 260; // past 0 + 300 − 50 before the loop's first renewal (100 ms) and the guard's timer
  while (events.length < 2) await delay(10);
  assert.deepEqual(events, ['lead 5', 'down: the lease was not renewed in time']);
  assert.ok(!calls.includes('renew'), `no renewal sent: ${calls.join(', ')}`);
  await lead.close();
});

test('a live lease at this master’s URL (an earlier process of it) is nobody’s: no leader to forward to; one of the same id elsewhere is a leader', async () => {
  const seen = async (held: { holderId: string; holderUrl: string }) => {
    const { l } = leases({
      take: async () => undefined,
      read: async () => ({ holder: 'old-boot', ...held, term: 3, expiresAtMs: 2, nowMs: 1 }),
    });
    const { lead } = leadership(l);
    await lead.start();
    const leader = lead.leader();
    await lead.close();
    return leader;
  };
  assert.equal(await seen({ holderId: 'm1-old', holderUrl: 'https://m1' }), undefined);
  // Masters started with the default id (host:port) may share it: 0.0.0.0:8080 on two machines.
  assert.deepEqual(await seen({ holderId: 'm1', holderUrl: 'https://m2' }), { id: 'm1', url: 'https://m2', term: 3 });
});

test("a refused write of an older term leaves this master's newer term be; one of its current term stands it down", async () => {
  const { l } = leases();
  const { lead, events } = leadership(l);
  await lead.start();
  assert.equal(lead.currentTerm, 7);
  lead.lost(6, 'a write of term 6 was refused');
  assert.equal(lead.leading(), true);
  lead.lost(7, 'a write of term 7 was refused');
  assert.equal(lead.leading(), false);
  assert.deepEqual(events, ['lead 7', 'down: a write of term 7 was refused']);
  await lead.close();
});

test('the lease is renewed while the farm is taken up, however long that takes', async () => {
  const { l, calls } = leases();
  const renewals = () => calls.filter((c) => c === 'renew').length;
  let done = false;
  const { lead } = leadership(l, {
    monotonic: () => 0, // no lease runs out here: what is shown is that the loop renews meanwhile
    onLead: async () => {
      // A take-up that ends only once the loop has renewed twice: were the loop waiting for it, never.
      const until = Date.now() + 10_000;
      while (renewals() < 2 && Date.now() < until) await delay(10);
      done = true;
    },
  });
  await lead.start();
  assert.equal(done, true, 'start() returns once the farm is taken up');
  assert.ok(renewals() >= 2, `renewed during the take-up: ${calls.join(', ')}`);
  assert.equal(lead.leading(), true);
  await lead.close();
});

test('raise: a leader behind a server (its store restored from an older copy) leads on under the higher term at once', async () => {
  const { l, calls } = leases();
  const { lead, events } = leadership(l, { leaseMs: 600 });
  await lead.start();
  await lead.raise(7, 'not above'); // not above its term: nothing
  assert.deepEqual(
    calls.filter((c) => c.startsWith('raise')),
    [],
  );
  const raised = lead.raise(12, 'a server holds term 11');
  void lead.raise(15, 'while one is under way'); // one at a time
  await raised;
  assert.deepEqual(
    calls.filter((c) => c.startsWith('raise')),
    ['raise 12'],
  );
  assert.equal(lead.currentTerm, 12);
  await lead.close();
  assert.deepEqual(events, ['lead 7', 'down: a server holds term 11', 'lead 12', 'down: the master stops']);
});

test('raise refused (the lease is another master’s now) stands down; a standby raises nothing', async () => {
  const { l } = leases({ raise: async () => false });
  const { lead, events } = leadership(l, { leaseMs: 600 });
  await lead.start();
  await lead.raise(9, 'a server holds term 8');
  assert.equal(lead.leading(), false);
  assert.deepEqual(events, ['lead 7', "down: the lease of term 7 is not this master's any more"]);
  const other = leases({ take: async () => undefined });
  const standby = leadership(other.l);
  await standby.lead.start();
  await standby.lead.raise(9, 'a standby hears no server');
  assert.equal(standby.lead.leading(), false);
  assert.deepEqual(standby.events, []);
  assert.deepEqual(
    other.calls.filter((c) => c.startsWith('raise')),
    [],
  );
  await standby.lead.close();
  await lead.close();
});

test('raise under way when the master closes: the raised lease is given up, the farm not taken up', async () => {
  let answer: (ok: boolean) => void = () => {};
  const { l, calls } = leases({ raise: () => new Promise<boolean>((r) => (answer = r)) });
  const { lead, events } = leadership(l, { leaseMs: 600 });
  await lead.start();
  const raised = lead.raise(12, 'a server holds term 11');
  const closed = lead.close();
  answer(true);
  await raised;
  await closed;
  assert.deepEqual(events, ['lead 7', 'down: a server holds term 11']);
  assert.equal(calls.at(-1), 'release');
  assert.equal(lead.leading(), false);
});
