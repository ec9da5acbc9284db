import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import {
  available,
  effectiveRoles,
  moveProblems,
  planFailback,
  planFailover,
  type PlanCamera,
  type PlanFarm,
  type PlanServer,
} from './planner.ts';

// The Symphony example: group 1 has two active servers and a redundant one; group 7 one server alone.
const farm = (): PlanFarm => ({
  groups: [
    { id: 1, redundancy: true },
    { id: 7, redundancy: true },
  ],
  servers: [
    { id: 's1', group: 1, state: 'down' },
    { id: 's2', group: 1, state: 'up' },
    { id: 's3', group: 1, state: 'up' },
    { id: 's7', group: 7, state: 'down' },
  ],
  cameras: [
    { id: 'c1', current: 's1', movable: true },
    { id: 'c2', current: 's1', movable: true },
    { id: 'usb', current: 's1', movable: false },
    { id: 'c3', current: 's2', movable: true },
    { id: 'c7', current: 's7', movable: true },
  ],
});
const rec = (camera: string, from: string, to: string) => ({ camera, from, to, mode: 'record' as const });

test('spare: all movable cameras of a down server go to the redundant server of its group', () => {
  assert.deepEqual(planFailover(farm(), 's1'), {
    kind: 'move',
    server: 's1',
    moves: [rec('c1', 's1', 's3'), rec('c2', 's1', 's3')],
    waiting: [],
    unrecorded: ['usb'],
  });
});

test('spare: a group with no redundant server waits', () => {
  assert.deepEqual(planFailover(farm(), 's7'), {
    kind: 'wait',
    server: 's7',
    reason: 'no redundant server free in group 7',
    moves: [],
    waiting: ['c7'],
    unrecorded: ['c7'],
  });
});

test('a redundant server that is suspect, down, disabled or in maintenance is not used', () => {
  for (const change of [
    { state: 'suspect' },
    { state: 'down' },
    { enabled: false },
    { runtime: { maintenance: true } },
  ] as Partial<PlanServer>[]) {
    const f = farm();
    Object.assign(f.servers[2], change);
    assert.equal(planFailover(f, 's1').kind, 'wait', JSON.stringify(change));
  }
});

test('redundancy off: nothing moves; a server with no cameras needs nothing', () => {
  const f = farm();
  f.groups[0].redundancy = false;
  assert.deepEqual(planFailover(f, 's1'), {
    kind: 'skip',
    server: 's1',
    reason: 'redundancy is off in group 1',
    moves: [],
    waiting: [],
    unrecorded: ['c1', 'c2', 'usb'],
  });
  assert.equal(planFailover(farm(), 's3').kind, 'skip');
});

test('device modes: none and priority never stay, live-only is relayed, not recorded', () => {
  const f = farm();
  f.cameras.push(
    { id: 'door', current: 's1', movable: true, failoverMode: 'none' },
    { id: 'lobby', current: 's1', movable: true, failoverMode: 'live-only' },
    { id: 'yard', current: 's1', movable: true, priority: 'never' },
  );
  const p = planFailover(f, 's1');
  assert.deepEqual(p.moves, [
    rec('c1', 's1', 's3'),
    rec('c2', 's1', 's3'),
    { camera: 'lobby', from: 's1', to: 's3', mode: 'live' },
  ]);
  assert.deepEqual(p.unrecorded, ['door', 'lobby', 'usb', 'yard']);
  // Once relayed, a live-only camera is not planned again (a waiting failover retries every tick).
  f.cameras.find((c) => c.id === 'lobby')!.runtime = { relay: 's3' };
  assert.deepEqual(
    planFailover(f, 's1').moves.map((m) => m.camera),
    ['c1', 'c2'],
  );
});

test('capacity: a spare with room for fewer cameras takes the highest priority first, the rest wait', () => {
  const f = farm();
  f.servers[2].maxCameras = 1;
  f.cameras[1].priority = 'high';
  const p = planFailover(f, 's1');
  assert.deepEqual(p.moves, [rec('c2', 's1', 's3')]);
  assert.deepEqual(p.waiting, ['c1']);
  assert.equal(p.reason, 'server s3 has room for 1 of 2 camera(s)');
});

const standbyFarm = (): PlanFarm => ({
  groups: [
    { id: 1, redundancy: true, policy: 'standby', failoverServers: ['f2', 'f1'], secondaryFailoverServers: ['g1'] },
  ],
  servers: [
    { id: 'r1', group: 1, state: 'down' },
    { id: 'r2', group: 1, state: 'up' },
    { id: 'spare', group: 1, state: 'up' },
    { id: 'f1', group: 1, state: 'up' },
    { id: 'f2', group: 1, state: 'up' },
    { id: 'g1', group: 1, state: 'up' },
  ],
  cameras: [
    { id: 'a', current: 'r1', movable: true },
    { id: 'b', current: 'r2', movable: true },
  ],
});

test('standby: failover servers take over in their order, then the secondary ones; never a mere spare', () => {
  const f = standbyFarm();
  const target = () => planFailover(f, 'r1').moves[0]?.to;
  assert.equal(target(), 'f2');
  f.servers.find((s) => s.id === 'f2')!.enabled = false;
  assert.equal(target(), 'f1');
  f.cameras.push({ id: 'x', current: 'f1', movable: true }); // f1 busy with another failover
  assert.equal(target(), 'g1');
  f.servers.find((s) => s.id === 'g1')!.state = 'down';
  assert.deepEqual(planFailover(f, 'r1'), {
    kind: 'wait',
    server: 'r1',
    reason: 'every failover server of group 1 is busy, down or disabled',
    moves: [],
    waiting: ['a'],
    unrecorded: ['a'],
  });
});

test('swap: a recording server swapped with its failover server plays the failover role', () => {
  const f = standbyFarm();
  f.servers.find((s) => s.id === 'r1')!.runtime = { swappedWith: 'f2' };
  f.servers.find((s) => s.id === 'f2')!.runtime = { swappedWith: 'r1' };
  assert.deepEqual(effectiveRoles(f.groups[0], f.servers).failoverServers, ['r1', 'f1']);
  // f2 now records r1's old cameras; when it fails, r1 (up again) takes them.
  f.servers.find((s) => s.id === 'r1')!.state = 'up';
  f.cameras[0].current = 'f2';
  assert.deepEqual(planFailover(f, 'f2').moves, [rec('a', 'f2', 'r1')]);
});

const hotFarm = (): PlanFarm => ({
  groups: [{ id: 1, redundancy: true, policy: 'hot' }],
  servers: [
    { id: 'r1', group: 1, state: 'down' },
    { id: 'r2', group: 1, state: 'up' },
    { id: 'h1', group: 1, state: 'up', hotStandbyFor: 'r1' },
    { id: 'h2', group: 1, state: 'up', hotStandbyFor: 'r2' },
    { id: 'spare', group: 1, state: 'up' },
  ],
  cameras: [
    { id: 'a', current: 'r1', movable: true },
    { id: 'b', current: 'r2', movable: true },
  ],
});

test("hot: the down server's hot standby takes over; without it a spare, never another server's hot standby", () => {
  const f = hotFarm();
  assert.deepEqual(planFailover(f, 'r1').moves, [rec('a', 'r1', 'h1')]);
  f.servers[2].state = 'down';
  assert.deepEqual(planFailover(f, 'r1').moves, [rec('a', 'r1', 'spare')]);
  f.servers[4].state = 'down';
  assert.equal(planFailover(f, 'r1').kind, 'wait');
});

test('hot + swap: the server that comes back becomes the hot standby of the one that took over', () => {
  const f = hotFarm();
  f.servers[0].runtime = { swappedWith: 'h1' };
  f.servers[2].runtime = { swappedWith: 'r1' };
  assert.deepEqual(
    [...effectiveRoles(f.groups[0], f.servers).hotFor],
    [
      ['r1', 'h1'],
      ['h2', 'r2'],
    ],
  );
});

test('distribute: by spare capacity, high priority first, the rest wait when capacity is short', () => {
  const f: PlanFarm = {
    groups: [{ id: 1, redundancy: true, policy: 'distribute' }],
    servers: [
      { id: 'dead', group: 1, state: 'down' },
      { id: 'a', group: 1, state: 'up', maxCameras: 3 },
      { id: 'b', group: 1, state: 'up', maxCameras: 4 },
    ],
    cameras: [
      ...['p', 'q', 'r', 's', 't'].map(
        (id, i): PlanCamera => ({
          id,
          current: 'dead',
          movable: true,
          priority: i === 4 ? 'high' : i === 0 ? 'low' : 'medium',
        }),
      ),
      { id: 'a1', current: 'a', movable: true },
      { id: 'b1', current: 'b', movable: true },
      { id: 'b2', current: 'b', movable: true },
    ],
  };
  // free: a 2, b 2 → t(high)→a (tie, fewer cameras), q→b (2 vs 1 free… b has 2), r→a or b by free, then s, p waits.
  const p = planFailover(f, 'dead');
  assert.deepEqual(p.moves, [
    rec('t', 'dead', 'a'),
    rec('q', 'dead', 'b'),
    rec('r', 'dead', 'a'),
    rec('s', 'dead', 'b'),
  ]);
  assert.deepEqual(p.waiting, ['p']);
  assert.equal(p.reason, 'no capacity left in group 1 for 1 camera(s)');
});

test('failback moves home cameras back; operator moves are checked', () => {
  const f = farm();
  for (const c of f.cameras) c.home = c.current;
  f.cameras[0].current = 's3';
  assert.deepEqual(planFailback(f, 's1'), [rec('c1', 's3', 's1')]);
  assert.deepEqual(moveProblems(f, 'usb', 's7'), [
    'camera usb is not movable',
    'server s7 is in group 7, camera usb in group 1',
    'server s7 is not running, disabled or in maintenance',
  ]);
  assert.deepEqual(moveProblems(f, 'c3', 's3'), []);
});

// ---- property tests: random farms and random event sequences -------------------------------------

const POLICIES = ['spare', 'standby', 'hot', 'distribute'] as const;
const arbFarm = fc
  .record({
    policy: fc.constantFrom(...POLICIES),
    servers: fc.uniqueArray(
      fc.record({
        id: fc.constantFrom('a', 'b', 'c', 'd', 'e', 'f', 'g'),
        group: fc.integer({ min: 1, max: 2 }),
        state: fc.constantFrom('up', 'up', 'suspect', 'down'),
        enabled: fc.boolean(),
        maxCameras: fc.option(fc.integer({ min: 1, max: 4 }), { nil: undefined, freq: 2 }),
      }),
      { selector: (s) => s.id, minLength: 1 },
    ),
    cams: fc.array(
      fc.record({
        server: fc.nat(),
        movable: fc.constantFrom(true, true, true, false),
        priority: fc.constantFrom('high', 'medium', 'medium', 'low', 'never'),
        mode: fc.constantFrom('full', 'full', 'full', 'live-only', 'none'),
      }),
      { maxLength: 16 },
    ),
    redundancy: fc.boolean(),
    hot: fc.array(fc.tuple(fc.nat(), fc.nat()), { maxLength: 3 }),
  })
  .map(({ policy, servers, cams, redundancy, hot }) => {
    const f: PlanFarm = {
      groups: [
        {
          id: 1,
          redundancy,
          policy,
          failoverServers: servers.filter((s, i) => s.group === 1 && i % 3 === 1).map((s) => s.id),
        },
        {
          id: 2,
          redundancy: true,
          policy,
          failoverServers: servers.filter((s, i) => s.group === 2 && i % 3 === 1).map((s) => s.id),
        },
      ],
      servers: servers.map((s) => ({ ...s, enabled: s.enabled || s.state === 'down' })) as PlanServer[],
      cameras: cams.map((c, i) => {
        const s = servers[c.server % servers.length].id;
        return {
          id: `c${i}`,
          current: s,
          home: s,
          movable: c.movable,
          priority: c.priority,
          failoverMode: c.mode,
        } as PlanCamera;
      }),
    };
    for (const [x, y] of hot) {
      const h = f.servers[x % f.servers.length];
      const r = f.servers[y % f.servers.length];
      if (h !== r && h.group === r.group && !f.servers.some((s) => s.hotStandbyFor === r.id)) h.hotStandbyFor = r.id;
    }
    return f;
  });

/** The invariants every plan keeps, checked against the farm it was made for. */
function checkPlan(f: PlanFarm, serverId: string): ReturnType<typeof planFailover> {
  const plan = planFailover(f, serverId);
  // Same input, same plan, whatever order the input lists things in.
  const shuffled = structuredClone(f);
  shuffled.servers.reverse();
  shuffled.cameras.reverse();
  assert.deepEqual(planFailover(shuffled, serverId), plan);
  const down = f.servers.find((s) => s.id === serverId)!;
  const held = f.cameras.filter((c) => c.current === serverId);
  const load = new Map<string, number>();
  for (const c of f.cameras) load.set(c.current, (load.get(c.current) ?? 0) + 1);
  for (const m of plan.moves) {
    const cam = f.cameras.find((c) => c.id === m.camera)!;
    const to = f.servers.find((s) => s.id === m.to)!;
    assert.equal(m.from, serverId);
    assert.equal(cam.current, serverId);
    assert.equal(to.group, down.group, 'never leaves its redundancy group');
    assert.ok(cam.movable && cam.failoverMode !== 'none' && cam.priority !== 'never', 'non-movable never moves');
    assert.equal(m.mode, cam.failoverMode === 'live-only' ? 'live' : 'record');
    assert.ok(available(to) && to.id !== serverId);
    if (m.mode === 'record') load.set(to.id, (load.get(to.id) ?? 0) + 1);
  }
  for (const s of f.servers) {
    const before = f.cameras.filter((c) => c.current === s.id).length;
    if (s.maxCameras !== undefined && before <= s.maxCameras)
      assert.ok((load.get(s.id) ?? 0) <= s.maxCameras, `capacity of ${s.id}`);
  }
  // Each camera of the server is either moved or listed unrecorded (live-only ones: both).
  for (const c of held)
    assert.ok(
      plan.moves.some((m) => m.camera === c.id && m.mode === 'record') !== plan.unrecorded.includes(c.id),
      c.id,
    );
  return plan;
}

test('property: every plan over random farms keeps the invariants', () => {
  fc.assert(
    fc.property(arbFarm, (f) => {
      for (const s of f.servers) checkPlan(f, s.id);
    }),
    { numRuns: 300 },
  );
});

test('property: over random event sequences every camera keeps exactly one recording owner in its group', () => {
  const event = fc.record({ kind: fc.constantFrom('down', 'up', 'enable', 'failback'), server: fc.nat() });
  fc.assert(
    fc.property(arbFarm, fc.array(event, { maxLength: 25 }), (f, events) => {
      const groupOf = new Map(f.cameras.map((c) => [c.id, f.servers.find((s) => s.id === c.home)!.group]));
      for (const e of events) {
        const s = f.servers[e.server % f.servers.length];
        if (e.kind === 'down') s.state = 'down';
        if (e.kind === 'up') s.state = 'up';
        if (e.kind === 'enable') s.enabled = true;
        if (e.kind === 'failback' && available(s))
          for (const m of planFailback(f, s.id)) f.cameras.find((c) => c.id === m.camera)!.current = m.to;
        // The master plans for every down server holding cameras, as its ticks and queue do.
        for (const d of f.servers.filter((x) => x.state === 'down')) {
          const plan = checkPlan(f, d.id);
          for (const m of plan.moves) if (m.mode === 'record') f.cameras.find((c) => c.id === m.camera)!.current = m.to;
        }
        for (const c of f.cameras) {
          assert.equal(f.servers.filter((x) => x.id === c.current).length, 1, 'exactly one recording owner');
          assert.equal(f.servers.find((x) => x.id === c.current)!.group, groupOf.get(c.id), 'never leaves its group');
          if (!c.movable || c.failoverMode !== 'full' || c.priority === 'never')
            assert.equal(c.current, c.home, 'non-movable never moves');
        }
      }
    }),
    { numRuns: 200 },
  );
});
