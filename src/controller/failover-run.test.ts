import { test } from 'node:test';
import assert from 'node:assert/strict';
import { advance, isDone, isOpen, newRun, type FailoverRun, type RunEvent } from './failover-run.ts';
import type { FailoverPlan } from './planner.ts';

// A fake clock: every time is an offset from T, and the machine only sees the times it is given.
const T = 1_000_000;
const run = (queued = false): FailoverRun => ({
  id: 1,
  ...newRun({ server: 'a', group: 1, reporters: ['b', 'c'], firstReportAt: T - 800, confirmedAt: T, queued }),
});
const plan = (kind: FailoverPlan['kind'], p: Partial<FailoverPlan> = {}): FailoverPlan => ({
  kind,
  server: 'a',
  moves: [],
  waiting: [],
  unrecorded: [],
  ...p,
});
const moves: FailoverPlan['moves'] = [
  { camera: 'c1', from: 'a', to: 'y', mode: 'record' },
  { camera: 'c2', from: 'a', to: 'x', mode: 'record' },
  { camera: 'c3', from: 'a', to: 'x', mode: 'live' },
];

/** Feeds events in order, carrying out 'commit' effects as the controller does; returns the run and every effect kind. */
function feed(r: FailoverRun, events: RunEvent[]) {
  const kinds: string[] = [];
  for (const e of events) {
    const out = advance(r, e);
    r = out.run;
    for (const fx of out.effects) {
      kinds.push(fx.kind === 'log' ? `log:${fx.msg}` : fx.kind);
      if (fx.kind === 'commit') {
        const next = advance(r, { type: 'committed', plan: fx.plan, plannedAt: fx.plannedAt, at: fx.plannedAt + 7 });
        r = next.run;
        kinds.push(...next.effects.map((x) => (x.kind === 'log' ? `log:${x.msg}` : x.kind)));
      }
    }
  }
  return { run: r, kinds };
}
const steps = (r: FailoverRun) => r.detail.steps.map((s) => `${s.step}${s.camera ? `:${s.camera}` : ''}+${s.ms}`);
const recorded = (server: string, camera: string, endMs: number, at: number): RunEvent => ({
  type: 'recorded',
  server,
  segments: [{ camera, endMs }],
  at,
});

test('a new run is running, or queued behind another failover of its group; detect is timed from the first report', () => {
  assert.deepEqual([run().status, steps(run())], ['running', ['detect+800']]);
  assert.deepEqual([run(true).status, steps(run(true))], ['queued', ['detect+800', 'queued+0']]);
  assert.ok(isOpen(run(true)));
});

test('planned moves are committed, then the run is running with its targets sorted, the first one as target', () => {
  const { run: r, kinds } = feed(run(), [
    { type: 'planned', plan: plan('move', { moves, unrecorded: ['c3'] }), startedAt: T + 10, at: T + 12 },
  ]);
  assert.deepEqual(kinds, ['commit', 'log:failover: cameras moved', 'save']);
  assert.equal(r.status, 'running');
  assert.deepEqual([r.detail.targets, r.detail.target, r.detail.unrecorded], [['x', 'y'], 'x', ['c3']]);
  assert.deepEqual(steps(r), ['detect+800', 'plan+2', 'commit+7']);
  assert.equal(r.detail.moves.length, 3);
});

test('done once every recorded move records: only segments ending after the confirmation count, live moves need none', () => {
  let { run: r } = feed(run(), [{ type: 'planned', plan: plan('move', { moves }), startedAt: T, at: T }]);
  ({ run: r } = feed(r, [recorded('y', 'c1', T - 1, T + 100)]));
  assert.equal(r.detail.moves[0].recordingAt, undefined, 'a segment from before the failover is not the new server');
  const one = feed(r, [recorded('y', 'c1', T + 90, T + 200)]);
  assert.deepEqual([one.run.status, one.kinds], ['running', ['save']]);
  const two = feed(one.run, [recorded('x', 'c2', T + 250, T + 300)]);
  assert.deepEqual([two.run.status, two.kinds], ['done', ['log:failover done: every moved camera records', 'save']]);
  assert.deepEqual(steps(two.run).slice(-2), ['recording:c1+200', 'recording:c2+300']);
  assert.ok(isDone(two.run) && !isOpen(two.run));
  assert.deepEqual(feed(two.run, [recorded('x', 'c2', T + 400, T + 400)]).kinds, [], 'nothing more to do');
});

test("a target that fails before it records: its moves are lost, which settles them; the others' are kept", () => {
  let { run: r } = feed(run(), [{ type: 'planned', plan: plan('move', { moves }), startedAt: T, at: T }]);
  ({ run: r } = feed(r, [recorded('y', 'c1', T + 90, T + 100)]));
  const { run: after, kinds } = feed(r, [{ type: 'target-failed', server: 'x', at: T + 500 }]);
  assert.deepEqual(kinds, ['save']);
  assert.deepEqual(
    after.detail.moves.map((m) => [m.camera, m.recordingAt ?? null, m.lostAt ?? null]),
    [
      ['c1', T + 100, null],
      ['c2', null, T + 500],
      ['c3', null, T + 500],
    ],
  );
  assert.equal(after.status, 'done');
  assert.deepEqual(feed(after, [{ type: 'target-failed', server: 'y', at: T + 600 }]).kinds, []);
});

test('some cameras waiting: the run waits and records meanwhile, but is not done until nothing waits', () => {
  const { run: r } = feed(run(), [
    { type: 'planned', plan: plan('move', { moves: moves.slice(0, 1), waiting: ['c2'] }), startedAt: T, at: T },
  ]);
  assert.equal(r.status, 'waiting');
  const rec = feed(r, [recorded('y', 'c1', T + 50, T + 60)]);
  assert.deepEqual([rec.run.status, rec.kinds], ['waiting', ['save']]);
  const more = feed(rec.run, [
    { type: 'retried', at: T + 1000 },
    { type: 'planned', plan: plan('move', { moves: [moves[1]] }), startedAt: T + 1000, at: T + 1001 },
  ]);
  assert.equal(more.run.status, 'running');
  assert.deepEqual(steps(more.run).slice(-3), ['resume+1000', 'plan+1', 'commit+7']);
  assert.deepEqual(more.run.detail.targets, ['x', 'y']);
});

test('nothing can move yet: the run waits (logged once); nothing ever will: it is skipped, or runs on with what moved', () => {
  const wait = plan('wait', { reason: 'no redundant server free in group 1', unrecorded: ['c1'] });
  const first = feed(run(), [{ type: 'planned', plan: wait, startedAt: T, at: T }]);
  assert.deepEqual([first.run.status, first.run.detail.reason], ['waiting', 'no redundant server free in group 1']);
  assert.deepEqual(first.kinds, ['bump-generation', 'log:failover waiting', 'save']);
  assert.deepEqual(feed(first.run, [{ type: 'planned', plan: wait, startedAt: T, at: T }]).kinds, [
    'bump-generation',
    'save',
  ]);
  const skip = plan('skip', { reason: 'group 1 has no redundancy' });
  const skipped = feed(run(), [{ type: 'planned', plan: skip, startedAt: T, at: T }]);
  assert.deepEqual(skipped.kinds, ['bump-generation', 'log:failover skipped', 'save']);
  assert.ok(skipped.run.status === 'skipped' && !isOpen(skipped.run));
  const part = feed(run(), [
    { type: 'planned', plan: plan('move', { moves: [moves[2]], waiting: ['c1'] }), startedAt: T, at: T },
    { type: 'planned', plan: skip, startedAt: T + 100, at: T + 100 },
  ]);
  assert.equal(part.run.status, 'done', 'its one live move needs nothing more');
});

test('the failed server back: a waiting or queued run is cancelled; a running one only notes the return', () => {
  const waiting = feed(run(), [{ type: 'planned', plan: plan('wait'), startedAt: T, at: T }]).run;
  const back = feed(waiting, [{ type: 'server-returned', at: T + 900 }]);
  assert.deepEqual([back.run.status, back.run.detail.returnedAt, back.kinds], ['cancelled', T + 900, ['save']]);
  assert.match(back.run.detail.reason!, /came back before a redundant server was free/);
  assert.equal(feed(run(true), [{ type: 'server-returned', at: T }]).run.status, 'cancelled');
  const running = feed(run(), [{ type: 'planned', plan: plan('move', { moves }), startedAt: T, at: T }]).run;
  const noted = feed(running, [{ type: 'server-returned', at: T + 900 }]);
  assert.deepEqual([noted.run.status, noted.run.detail.returnedAt, noted.kinds], ['running', T + 900, []]);
});

test('assigned is logged once per target of a running run, timed from the confirmation', () => {
  const r = feed(run(), [{ type: 'planned', plan: plan('move', { moves }), startedAt: T, at: T }]).run;
  const a = feed(r, [
    { type: 'assigned', server: 'x', at: T + 30 },
    { type: 'assigned', server: 'x', at: T + 40 },
    { type: 'assigned', server: 'z', at: T + 40 },
    { type: 'assigned', server: 'y', at: T + 50 },
  ]);
  assert.deepEqual(a.kinds, ['save', 'save']);
  assert.deepEqual(
    a.run.detail.steps.filter((s) => s.step === 'assigned').map((s) => [s.server, s.ms]),
    [
      ['x', 30],
      ['y', 50],
    ],
  );
  assert.deepEqual(feed(run(true), [{ type: 'assigned', server: 'x', at: T }]).kinds, [], 'not while queued');
});

test('a queued run ignores segments; transitions never change the run they are given', () => {
  const q = run(true);
  assert.deepEqual(feed(q, [recorded('x', 'c1', T + 1, T + 1)]).kinds, []);
  const r = feed(run(), [{ type: 'planned', plan: plan('move', { moves }), startedAt: T, at: T }]).run;
  const before = structuredClone(r);
  advance(r, recorded('y', 'c1', T + 5, T + 5));
  advance(r, { type: 'target-failed', server: 'x', at: T + 5 });
  advance(r, { type: 'assigned', server: 'x', at: T + 5 });
  assert.deepEqual(r, before);
});
