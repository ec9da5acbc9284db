import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  diskSummary,
  failingCameras,
  lateAfterMs,
  reportedBy,
  serverHealth,
  serverRole,
  statusLate,
} from './server-summary.ts';
import type { PlanServer } from '../controller/planner.ts';

test('health: maintenance first, then the verdict, then a late or missing status makes an up server suspect', () => {
  const now = 10_000;
  const lateMs = 1500;
  const cases: [string, Parameters<typeof serverHealth>[0]['state'], boolean, number | null, string][] = [
    ['fresh up', 'up', false, now - 400, 'up'],
    ['up, status exactly at the bound', 'up', false, now - 1500, 'up'],
    ['up, status late', 'up', false, now - 1501, 'suspect'],
    ['up, no status since the master started', 'up', false, null, 'suspect'],
    ['buddies report it', 'suspect', false, now - 100, 'suspect'],
    ['confirmed down', 'down', false, now - 100, 'down'],
    ['down, no status', 'down', false, null, 'down'],
    ['drained, quiet', 'up', true, null, 'maintenance'],
    ['drained, reported by buddies', 'suspect', true, now - 5000, 'maintenance'],
    ['drained and down', 'down', true, now - 5000, 'maintenance'],
  ];
  for (const [name, state, maintenance, lastStatusAt, want] of cases)
    assert.equal(serverHealth({ state, maintenance, lastStatusAt, now, lateMs }), want, name);
  assert.equal(statusLate({ lastStatusAt: 0, now: 1, lateMs: 0 }), true);
  assert.equal(lateAfterMs({ StatusIntervalMs: 500, FarmHealthMissedUdpMs: 2000 }), 1500);
  assert.equal(lateAfterMs({ StatusIntervalMs: 1000, FarmHealthMissedUdpMs: 2000 }), 2000);
});

test('reportedBy: the servers whose last status names it, sorted', () => {
  const suspects = new Map([
    ['s3', ['s1']],
    ['s2', ['s1', 's4']],
    ['s4', []],
  ]);
  assert.deepEqual(reportedBy('s1', suspects), ['s2', 's3']);
  assert.deepEqual(reportedBy('s4', suspects), ['s2']);
  assert.deepEqual(reportedBy('s2', suspects), []);
});

test('role by configuration: hot standby, failover (primary, secondary), active, redundant; swaps play the other role; whose cameras it holds', () => {
  const srv = (id: string, x: Partial<PlanServer> = {}): PlanServer => ({ id, group: 1, state: 'up', ...x });
  const group = { id: 1, redundancy: true, failoverServers: ['f1'], secondaryFailoverServers: ['f2'] };
  const servers = [srv('s1'), srv('s2'), srv('f1'), srv('f2'), srv('h1', { hotStandbyFor: 's2' }), srv('r1')];
  const cameras = [
    { home: 's1', current: 's1' },
    { home: 's2', current: 'f1' },
    { home: 's1', current: 'f1' },
  ];
  const role = (id: string, s = servers, c = cameras) => serverRole(id, group, s, c);
  const none = { failoverTier: null, standbyFor: null, recordsFor: [] };
  assert.deepEqual(role('s1'), { ...none, kind: 'active' });
  assert.deepEqual(role('s2'), { ...none, kind: 'active' });
  assert.deepEqual(role('f1'), { ...none, kind: 'failover', failoverTier: 'primary', recordsFor: ['s1', 's2'] });
  assert.deepEqual(role('f2'), { ...none, kind: 'failover', failoverTier: 'secondary' });
  assert.deepEqual(role('h1'), { ...none, kind: 'hot-standby', standbyFor: 's2' });
  assert.deepEqual(role('r1'), { ...none, kind: 'redundant' });
  // onReturn swap: s2 came back and took f1's role; f1 keeps s2's cameras and plays s2's role.
  const swapped = servers.map((s) =>
    s.id === 's2'
      ? { ...s, runtime: { swappedWith: 'f1' } }
      : s.id === 'f1'
        ? { ...s, runtime: { swappedWith: 's2' } }
        : s,
  );
  const after = [{ home: 's2', current: 'f1' }];
  assert.deepEqual(role('s2', swapped, after), { ...none, kind: 'failover', failoverTier: 'primary' });
  assert.deepEqual(role('f1', swapped, after), { ...none, kind: 'active', recordsFor: ['s2'] });
  // The hot standby of s2 now shadows f1, which plays s2's role.
  assert.deepEqual(role('h1', swapped, after), { ...none, kind: 'hot-standby', standbyFor: 'f1' });
  // A one-sided swap (the other side was reset) is no swap.
  const oneSided = servers.map((s) => (s.id === 'r1' ? { ...s, runtime: { swappedWith: 's1' } } : s));
  assert.deepEqual(role('r1', oneSided), { ...none, kind: 'redundant' });
});

test('disk summary: every path once, failed ones counted, space of the healthy ones', () => {
  const path = (p: string, healthy: boolean, free?: number, total?: number) => ({
    path: p,
    healthy,
    read: false,
    ...(free !== undefined && { space: { freeBytes: free, totalBytes: total! } }),
  });
  assert.equal(diskSummary(null), null);
  assert.deepEqual(
    diskSummary({
      availability: 'failover',
      allFailed: false,
      paths: [path('/a', true, 100, 1000), path('/b', false, 5, 10), path('/c', true)],
      cameras: {
        c9: {
          availability: 'failover',
          allFailed: false,
          paths: [path('/a', true, 100, 1000), path('/d', true, 1, 2)],
        },
      },
    }),
    { paths: 4, failedPaths: 1, freeBytes: 101, totalBytes: 1002 },
  );
  assert.deepEqual(diskSummary({ availability: 'redundant', allFailed: true, paths: [path('/a', false, 1, 2)] }), {
    paths: 1,
    failedPaths: 1,
    freeBytes: null,
    totalBytes: null,
  });
});

test('failing cameras: those its server cannot record (failing) or that stopped delivering (stalled)', () => {
  assert.deepEqual(
    failingCameras({
      c3: { state: 'failing' },
      c1: { state: 'recording' },
      c2: { state: 'stalled' },
      c4: { state: 'offline' },
      c5: { state: 'starting' },
    }),
    ['c2', 'c3'],
  );
  assert.deepEqual(failingCameras(undefined), []);
});
