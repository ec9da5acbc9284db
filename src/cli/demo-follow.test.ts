import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { FailoverEntry } from '../store/failover-log.ts';
import { entryLines, leaderLine, serverLine, sseBlocks, type Printed } from './demo-follow.ts';

const entry = (steps: string[], status = 'running') =>
  ({
    id: 3,
    startedAt: 0,
    server: 's1',
    group: 1,
    trigger: 'buddy-quorum',
    status,
    detail: {
      reporters: ['s2', 's3'],
      moves: [],
      unrecorded: [],
      steps: steps.map((step, i) => ({ step, at: i * 100, ms: i * 100 })),
    },
  }) as unknown as FailoverEntry;

test('each step of a failover is printed once, as the entry grows, and its end', () => {
  const printed: Printed = new Map();
  const a = entryLines(entry(['detect']), printed);
  assert.equal(a.length, 2);
  assert.match(a[0], /failover #3 buddy-quorum of s1 opened, reported by s2, s3$/);
  assert.match(a[1], /: detect \+0 ms$/);
  assert.deepEqual(entryLines(entry(['detect']), printed), []);
  const b = entryLines(entry(['detect', 'plan', 'commit'], 'done'), printed);
  assert.deepEqual(
    b.map((l) => l.replace(/^\[[^\]]+\]\s+/, '')),
    [
      'failover #3 buddy-quorum of s1: plan +100 ms',
      'failover #3 buddy-quorum of s1: commit +200 ms',
      'failover #3 buddy-quorum of s1: done',
    ],
  );
});

test('a server line only when its state changes; messages split from a stream, the incomplete rest kept', () => {
  const states = new Map<string, string>();
  assert.deepEqual(serverLine({ id: 's1', state: 'up' }, states, 0), []);
  assert.match(serverLine({ id: 's1', state: 'down' }, states, 0)[0], /server s1 up → down$/);
  const { messages, rest } = sseBlocks('retry: 1000\n\nid: b.1\nevent: server\ndata: {"a":1}\n\nid: b.2\nevent: fail');
  assert.deepEqual(messages, [{ id: 'b.1', event: 'server', data: '{"a":1}' }]);
  assert.equal(rest, 'id: b.2\nevent: fail');
});

test('a new leader is printed once per leader and term; the first one (the banner names it) and standbys not', () => {
  const lead = {};
  assert.deepEqual(leaderLine({ id: 'm1', leader: true, term: 1 }, lead, 0), []);
  assert.deepEqual(leaderLine({ id: 'm1', leader: true, term: 1 }, lead, 0), []);
  assert.deepEqual(leaderLine({ id: 'm1', leader: false, term: 1 }, lead, 0), []);
  assert.match(leaderLine({ id: 'm2', leader: true, term: 2 }, lead, 0)[0], /master m2 leads now \(term 2\)$/);
  assert.deepEqual(leaderLine({ id: 'm2', leader: true, term: 2 }, lead, 0), []);
});
