import { test } from 'node:test';
import assert from 'node:assert/strict';
import { applyEvent, EMPTY_FARM, KEPT_FAILOVERS, type FarmState } from './farm-state.ts';

const server = (id: string, state: string) => ({ id, state }) as unknown as FarmState['servers'][number];
const entry = (id: number, status: string) => ({ id, status }) as unknown as FarmState['failovers'][number];
const snapshot = (over: Partial<Record<string, unknown>> = {}) => ({
  type: 'snapshot',
  atMs: 1,
  value: {
    servers: [server('s1', 'up'), server('s2', 'up')],
    cameras: [],
    failovers: [entry(3, 'done'), entry(1, 'done')],
    copybacks: [],
    master: { id: 'm', leader: true },
    generation: 7,
    ...over,
  },
});

test('a snapshot replaces everything and marks the farm ready; failovers oldest first', () => {
  const s = applyEvent({ ...EMPTY_FARM, servers: [server('old', 'up')] }, snapshot());
  assert.equal(s.ready, true);
  assert.deepEqual(
    s.servers.map((x) => x.id),
    ['s1', 's2'],
  );
  assert.deepEqual(
    s.failovers.map((x) => x.id),
    [1, 3],
  );
  assert.equal(s.generation, 7);
});

test('a server event replaces that server only, in place; a new one is added', () => {
  let s = applyEvent(EMPTY_FARM, snapshot());
  s = applyEvent(s, { type: 'server', atMs: 2, value: server('s1', 'down') });
  assert.deepEqual(
    s.servers.map((x) => [x.id, x.state]),
    [
      ['s1', 'down'],
      ['s2', 'up'],
    ],
  );
  s = applyEvent(s, { type: 'server', atMs: 3, value: server('s9', 'up') });
  assert.equal(s.servers.length, 3);
});

test('failover entries are updated by id, kept in order and bounded', () => {
  let s = applyEvent(EMPTY_FARM, snapshot());
  s = applyEvent(s, { type: 'failover', atMs: 2, value: entry(2, 'running') });
  s = applyEvent(s, { type: 'failover', atMs: 3, value: entry(2, 'done') });
  assert.deepEqual(
    s.failovers.map((x) => [x.id, x.status]),
    [
      [1, 'done'],
      [2, 'done'],
      [3, 'done'],
    ],
  );
  for (let i = 10; i < 10 + KEPT_FAILOVERS; i++)
    s = applyEvent(s, { type: 'failover', atMs: i, value: entry(i, 'done') });
  assert.equal(s.failovers.length, KEPT_FAILOVERS);
  assert.equal(s.failovers[0].id, 10);
});

test('a copy-back job is replaced by id and leaves with copyback-done', () => {
  let s = applyEvent(EMPTY_FARM, snapshot());
  const job = (percent: number) => ({ id: 'j1', progress: { percent } }) as unknown as FarmState['copybacks'][number];
  s = applyEvent(s, { type: 'copyback', atMs: 2, value: job(10) });
  s = applyEvent(s, { type: 'copyback', atMs: 3, value: job(60) });
  assert.equal(s.copybacks.length, 1);
  assert.equal((s.copybacks[0] as unknown as { progress: { percent: number } }).progress.percent, 60);
  s = applyEvent(s, { type: 'copyback-done', atMs: 4, value: { id: 'j1' } });
  assert.equal(s.copybacks.length, 0);
});

test('a configuration event moves the generation; an unknown type changes nothing', () => {
  let s = applyEvent(EMPTY_FARM, snapshot());
  s = applyEvent(s, { type: 'config', atMs: 5, value: { generation: 8, summary: '+1 camera', actor: 'admin' } });
  assert.equal(s.generation, 8);
  assert.equal(s.lastConfig?.summary, '+1 camera');
  assert.equal(applyEvent(s, { type: 'from-the-future', atMs: 6, value: {} }), s);
});
