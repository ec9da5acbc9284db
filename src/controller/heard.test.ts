import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Heard } from './heard.ts';
import { judge } from './liveness.ts';
import type { NodeStatus } from '../protocol/status.ts';

const status = (suspects: string[] = []): NodeStatus => ({ bootId: 'b1', suspects, cameras: {}, segments: [] });

test('an enrollment counts as contact: a server never heard is judged from it, a status later than it wins', () => {
  const heard = new Heard();
  heard.contact('s3', 8_350);
  assert.deepEqual(heard.reports().get('s3'), { at: 8_350, suspects: [] });
  heard.hear('s3', status(['s1']), 9_000);
  assert.equal(heard.reports().get('s3')?.at, 9_000);
  assert.deepEqual(heard.reports().get('s3')?.suspects, ['s1']);
  heard.contact('s3', 9_500); // enrolled again (a new certificate) after its last status
  assert.equal(heard.reports().get('s3')?.at, 9_500);
});

test('a server enrolled late in the start delay is not failed over by lost status before it had the time to report', () => {
  const heard = new Heard();
  const servers = [{ id: 's3', group: 1, state: 'up' as const }];
  const base = { servers, missedMs: 2000, statusIntervalMs: 250, judgeFrom: 5000 };
  // Never heard at all: lost once the start delay and the threshold have passed (a dead server is still failed over).
  assert.equal(judge({ ...base, reports: heard.reports(), now: 7_100 }).get('s3')?.trigger, 'status-lost');
  // Enrolled at 6.5 s: counted from there.
  heard.contact('s3', 6_500);
  assert.equal(judge({ ...base, reports: heard.reports(), now: 7_100 }).get('s3')?.state, 'up');
  assert.equal(judge({ ...base, reports: heard.reports(), now: 8_600 }).get('s3')?.trigger, 'status-lost');
});
