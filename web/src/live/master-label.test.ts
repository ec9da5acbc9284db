import { test } from 'node:test';
import assert from 'node:assert/strict';
import { masterLabel } from './master-label.ts';

test("the header's master: whether it leads, else the leader and its term; none during a takeover", () => {
  assert.equal(masterLabel({ id: 'm1', leader: true, term: 7, leaderId: 'm1' }), 'm1 · leads · term 7');
  assert.equal(masterLabel({ id: 'm2', leader: false, term: 7, leaderId: 'm1' }), 'm2 · standby · leader m1 · term 7');
  assert.equal(masterLabel({ id: 'm2', leader: false, term: 7 }), 'm2 · standby · no leader');
});
