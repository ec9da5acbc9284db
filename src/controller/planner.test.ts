import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { planFailover, type PlanFarm } from './planner.ts';

// The Symphony example: group 1 has two active servers and a redundant one; group 7 one server alone.
const farm = (): PlanFarm => ({
  groups: [{ id: 1, redundancy: true }, { id: 7, redundancy: true }],
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

test('all movable cameras of a down server go to the redundant server of its group', () => {
  assert.deepEqual(planFailover(farm(), 's1'), {
    kind: 'move',
    server: 's1',
    target: 's3',
    moves: [{ camera: 'c1', from: 's1', to: 's3' }, { camera: 'c2', from: 's1', to: 's3' }],
    unrecorded: ['usb'],
  });
});

test('a group with no redundant server waits', () => {
  assert.deepEqual(planFailover(farm(), 's7'), { kind: 'wait', server: 's7', reason: 'no redundant server free in group 7', unrecorded: ['c7'] });
});

test('a redundant server that is suspect or down is not used', () => {
  const f = farm();
  f.servers[2].state = 'suspect';
  assert.equal(planFailover(f, 's1').kind, 'wait');
});

test('redundancy off: nothing moves', () => {
  const f = farm();
  f.groups[0].redundancy = false;
  assert.deepEqual(planFailover(f, 's1'), { kind: 'skip', server: 's1', reason: 'redundancy is off in group 1', unrecorded: ['c1', 'c2', 'usb'] });
});

test('a server with no cameras needs nothing', () => {
  assert.equal(planFailover(farm(), 's3').kind, 'skip');
});

test('invariants over random farms: same group, only movable, only a free running server, deterministic', () => {
  const arb = fc
    .record({
      servers: fc.uniqueArray(fc.record({ id: fc.constantFrom('a', 'b', 'c', 'd', 'e', 'f'), group: fc.integer({ min: 1, max: 2 }), state: fc.constantFrom('up', 'suspect', 'down') }), { selector: (s) => s.id, minLength: 1 }),
      cams: fc.array(fc.record({ server: fc.nat(), movable: fc.boolean() }), { maxLength: 12 }),
      redundancy: fc.boolean(),
    })
    .map(({ servers, cams, redundancy }) => ({
      groups: [{ id: 1, redundancy }, { id: 2, redundancy: true }],
      servers: servers as PlanFarm['servers'],
      cameras: cams.map((c, i) => ({ id: `c${i}`, current: servers[c.server % servers.length].id, movable: c.movable })),
    }));
  fc.assert(
    fc.property(arb, (f) => {
      for (const down of f.servers) {
        const plan = planFailover(f, down.id);
        assert.deepEqual(planFailover(structuredClone(f), down.id), plan);
        if (plan.kind !== 'move') continue;
        const target = f.servers.find((s) => s.id === plan.target)!;
        assert.equal(target.group, down.group);
        assert.equal(target.state, 'up');
        assert.ok(!f.cameras.some((c) => c.current === target.id));
        for (const m of plan.moves) assert.ok(f.cameras.find((c) => c.id === m.camera)!.movable);
        const held = f.cameras.filter((c) => c.current === down.id);
        assert.equal(plan.moves.length + plan.unrecorded.length, held.length);
      }
    }),
  );
});
