import { test } from 'node:test';
import assert from 'node:assert/strict';
import { judge, liveBuddies, type LivenessInput } from './liveness.ts';

const servers = (): LivenessInput['servers'] => [
  { id: 's1', group: 1, state: 'up' },
  { id: 's2', group: 1, state: 'up' },
  { id: 's3', group: 1, state: 'up' },
  { id: 's7', group: 7, state: 'up' },
];
const base = (now: number, reports: [string, number, string[]][]): LivenessInput => ({
  servers: servers(),
  reports: new Map(reports.map(([id, at, suspects]) => [id, { at, suspects }])),
  now,
  missedMs: 2000,
  statusIntervalMs: 500,
  judgeFrom: 0,
});

test('one report of two buddies makes a suspect; two confirm by buddy quorum', () => {
  const one = judge(
    base(10_000, [
      ['s1', 9000, []],
      ['s2', 9900, ['s1']],
      ['s3', 9900, []],
      ['s7', 9900, []],
    ]),
  );
  assert.deepEqual(one.get('s1'), { state: 'suspect', reporters: ['s2'] });
  const two = judge(
    base(10_000, [
      ['s1', 8000, []],
      ['s2', 9900, ['s1']],
      ['s3', 9950, ['s1']],
      ['s7', 9900, []],
    ]),
  );
  assert.deepEqual(two.get('s1'), { state: 'down', reporters: ['s2', 's3'], trigger: 'buddy-quorum' });
  assert.deepEqual(two.get('s2'), { state: 'up', reporters: [] });
});

test('buddies that lose only UDP to a server still reporting to the master do not fail it over', () => {
  const j = judge(
    base(10_000, [
      ['s1', 9900, []],
      ['s2', 9900, ['s1']],
      ['s3', 9950, ['s1']],
      ['s7', 9900, []],
    ]),
  );
  assert.deepEqual(j.get('s1'), { state: 'suspect', reporters: ['s2', 's3'] });
});

test('a group of two whose members report each other: neither is failed over while both report', () => {
  const two: LivenessInput['servers'] = [
    { id: 'a', group: 1, state: 'up' },
    { id: 'b', group: 1, state: 'up' },
  ];
  const j = judge({
    ...base(10_000, [
      ['a', 9900, ['b']],
      ['b', 9900, ['a']],
    ]),
    servers: two,
  });
  assert.deepEqual([j.get('a')!.state, j.get('b')!.state], ['suspect', 'suspect']);
});

test('a report from a reporter whose own status is stale does not count', () => {
  const j = judge(
    base(10_000, [
      ['s1', 9900, []],
      ['s2', 2000, ['s1']],
      ['s3', 9950, ['s1']],
      ['s7', 9900, []],
    ]),
  );
  assert.equal(j.get('s1')!.state, 'suspect');
});

test('a server alone in its group is judged by lost status', () => {
  const ok = judge(
    base(10_000, [
      ['s1', 9900, []],
      ['s2', 9900, []],
      ['s3', 9900, []],
      ['s7', 8100, []],
    ]),
  );
  assert.equal(ok.get('s7')!.state, 'up');
  const lost = judge(
    base(10_000, [
      ['s1', 9900, []],
      ['s2', 9900, []],
      ['s3', 9900, []],
      ['s7', 7900, []],
    ]),
  );
  assert.deepEqual(lost.get('s7'), { state: 'down', reporters: [], trigger: 'status-lost' });
});

test('nobody is judged before judgeFrom; silence counts from then', () => {
  const input = { ...base(10_000, []), judgeFrom: 9000 };
  for (const [, j] of judge(input)) assert.equal(j.state, 'up');
  assert.equal(judge({ ...input, now: 11_100 }).get('s7')!.state, 'down');
});

test('a down server leaves the buddy graph so the survivors still form a quorum', () => {
  const s = servers();
  s[0].state = 'down';
  assert.deepEqual(liveBuddies(s).get('s2'), ['s3']);
  const j = judge({
    ...base(10_000, [
      ['s3', 9900, ['s2']],
      ['s7', 9900, []],
    ]),
    servers: s,
  });
  assert.deepEqual(j.get('s2'), { state: 'down', reporters: ['s3'], trigger: 'buddy-quorum' });
});

test('a server reporting all storage failed, or recording unable to start, is down once the report has held for the threshold', () => {
  const fresh: [string, number, string[]][] = [
    ['s1', 9900, []],
    ['s2', 9900, []],
    ['s3', 9900, []],
    ['s7', 9900, []],
  ];
  const withOwn = (own: { storageFailedSince?: number; recordingFailedSince?: number }) => {
    const input = base(10_000, fresh);
    input.reports.set('s1', { ...input.reports.get('s1')!, ...own });
    return judge(input).get('s1');
  };
  assert.deepEqual(
    withOwn({ storageFailedSince: 9000 }),
    { state: 'up', reporters: [] },
    'one second of it is not yet a failure',
  );
  assert.deepEqual(withOwn({ storageFailedSince: 8000 }), { state: 'down', reporters: [], trigger: 'storage-failed' });
  assert.deepEqual(withOwn({ recordingFailedSince: 7000 }), {
    state: 'down',
    reporters: [],
    trigger: 'recording-failed',
  });
  // Before judging starts (FarmHealthStartDelayMs), nothing is down.
  const early = base(10_000, fresh);
  early.judgeFrom = 20_000;
  early.reports.set('s1', { ...early.reports.get('s1')!, storageFailedSince: 1000 });
  assert.equal(judge(early).get('s1')!.state, 'up');
});

test("a group's triggers choose what fails a server over; a server in maintenance is not judged", () => {
  const reports: [string, number, string[]][] = [
    ['s1', 8000, []],
    ['s2', 9900, ['s1']],
    ['s3', 9950, ['s1']],
    ['s7', 9900, []],
  ];
  const only = (triggers: string[]) => {
    const input = base(10_000, reports);
    input.servers[0].triggers = triggers;
    return judge(input).get('s1');
  };
  assert.equal(only(['buddy-quorum'])?.trigger, 'buddy-quorum');
  // Without buddy quorum the same silence fails it over only once the master's own timeout runs out.
  assert.deepEqual(only(['status-lost', 'manual']), { state: 'suspect', reporters: ['s2', 's3'] });
  const later = base(12_100, reports);
  later.servers[0].triggers = ['status-lost'];
  assert.equal(judge(later).get('s1')!.trigger, 'status-lost');
  const drained = base(12_100, reports);
  drained.servers[0].maintenance = true;
  assert.deepEqual(judge(drained).get('s1'), { state: 'up', reporters: [] });
});
