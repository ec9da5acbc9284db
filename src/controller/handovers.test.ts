import { test } from 'node:test';
import assert from 'node:assert/strict';
import { HANDOVER_TIMEOUT_MS, Handovers, type HandoverParent, type HandoverStore } from './handovers.ts';
import { createLogger } from '../lib/log.ts';
import type { FarmSnapshot } from '../store/store.ts';
import type { FailoverEntry } from '../store/failover-log.ts';
import type { NodeStatus } from '../protocol/status.ts';

const T = 1_000_000;

/** Handovers over an in-memory log and farm: the parent and store are fakes of just what they declare. */
function setup(current: Record<string, string>) {
  const clock = { t: T, now: () => clock.t };
  const log: FailoverEntry[] = [];
  const farm = {
    generation: 1,
    servers: [
      { id: 'a', group: 1 },
      { id: 'n', group: 1 },
    ],
    cameras: Object.entries(current).map(([id, at]) => ({ id, home: 'a', current: at, runtime: {} })),
  } as unknown as FarmSnapshot;
  const parent: HandoverParent = {
    state: {
      farm,
      server: (id) => farm.servers.find((s) => s.id === id)!,
      camera: (id) => farm.cameras.find((c) => c.id === id),
      wake: () => {},
    },
    placement: {
      applyMoves: async () => {},
      handOver: async (moves) => {
        for (const m of moves) farm.cameras.find((c) => c.id === m.camera)!.current = m.to;
      },
    },
    copyBacks: { plan: async () => [] },
  };
  const store: HandoverStore = {
    insertFailover: async (f) => log.push({ id: log.length + 1, ...structuredClone(f) } as FailoverEntry),
    updateFailover: async (id, status, detail) => {
      Object.assign(log[id - 1], { status, detail: structuredClone(detail) });
    },
    bumpGeneration: async () => ++farm.generation,
  };
  const h = new Handovers(parent, store, clock, createLogger('test', 'silent'));
  return { h, log, clock, farm };
}
const segment = (camera: string, endMs: number): NodeStatus => ({
  bootId: 'b',
  suspects: [],
  cameras: {},
  segments: [{ camera, startMs: endMs - 500, endMs }],
});
const steps = (e: FailoverEntry) => e.detail.steps.map((s) => `${s.step}${s.camera ? `:${s.camera}` : ''}`);
const move = (camera: string) => ({ camera, from: 'a', to: 'n', mode: 'record' as const });

test('a handover completes camera by camera as the new server delivers; one that delivers nothing is abandoned, which ends the entry', async () => {
  const { h, log, clock, farm } = setup({ ca: 'a', cb: 'a' });
  const id = await h.start('a', 'drain', [move('ca'), move('cb')], []);
  assert.deepEqual([log[0].status, log[0].detail.target, h.busy('n'), h.has('ca')], ['running', 'n', true, true]);
  assert.equal(h.planView(farm).cameras.find((c) => c.id === 'cb')!.current, 'n', 'the planner sees it moved');
  await h.recorded('n', segment('cb', T - 1), T + 100);
  assert.equal(h.has('cb'), true, 'a segment from before the move does not count');
  await h.recorded('n', segment('cb', T + 400), T + 500);
  assert.deepEqual(
    farm.cameras.map((c) => c.current),
    ['a', 'n'],
  );
  assert.deepEqual([log[0].status, steps(log[0])], ['running', ['plan', 'recording:cb']]);
  await h.noteAssigned('n', T + 50);
  await h.noteAssigned('n', T + 60);
  assert.equal(log[0].detail.steps.filter((s) => s.step === 'assigned').length, 1);
  clock.t = T + HANDOVER_TIMEOUT_MS + 1;
  await h.expire(clock.t);
  assert.deepEqual(h.values(), []);
  assert.equal(log[id - 1].status, 'failed', 'ca never moved: the entry ends failed');
  assert.match(log[0].detail.reason!, /^ca: server n delivered no segment/);
  assert.equal(farm.cameras[0].current, 'a', 'the camera stays where it records');
});

test('at a master restart a handover goes on; a move the store completed is logged, one whose camera moved is dropped', async () => {
  const { h, log } = setup({ ca: 'a', cb: 'n', cc: 'x' });
  const entry: FailoverEntry = {
    id: 1,
    startedAt: T,
    server: 'a',
    group: 1,
    trigger: 'drain',
    status: 'running',
    detail: {
      planned: true,
      reporters: [],
      firstReportAt: T,
      confirmedAt: T,
      moves: [move('ca'), move('cb'), move('cc')],
      unrecorded: [],
      steps: [{ step: 'plan', at: T, ms: 0 }],
    },
  };
  log.push(structuredClone(entry));
  await h.resume(entry);
  assert.deepEqual(
    h.values().map((x) => [x.camera, x.reason]),
    [['ca', 'drain']],
  );
  assert.deepEqual([log[0].status, steps(log[0])], ['running', ['plan', 'resumed', 'recording:cb']]);
  await h.recorded('n', segment('ca', T + 2000), T + 2000);
  assert.equal(log[0].status, 'done');
  const none = setup({ ca: 'x' });
  none.log.push(structuredClone(entry));
  await none.h.resume(structuredClone(entry));
  assert.equal(none.log[0].status, 'cancelled');
});

test('a server that fails: handovers away from it complete at once, those to it are abandoned', async () => {
  const { h, log, farm } = setup({ ca: 'a', cb: 'n' });
  await h.start('a', 'move', [move('ca')], []);
  await h.start('n', 'move', [{ camera: 'cb', from: 'n', to: 'a', mode: 'record' }], []);
  await h.serverFailed('a', T + 100);
  assert.deepEqual(
    farm.cameras.map((c) => c.current),
    ['n', 'n'],
  );
  assert.deepEqual(
    log.map((e) => e.status),
    ['done', 'failed'],
  );
  assert.equal(h.hasEntryOf('a') || h.hasEntryOf('n'), false);
});
