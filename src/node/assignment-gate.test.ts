import { test } from 'node:test';
import assert from 'node:assert/strict';
import { AssignmentGate } from './assignment-gate.ts';
import { sampleAssignment } from '../protocol/assignment.test.ts';

test('a valid assignment is obeyed, the same one again is not carried out twice', () => {
  const gate = new AssignmentGate();
  assert.equal(gate.after, -1);
  const a = sampleAssignment();
  assert.deepEqual(gate.offer(a), { kind: 'apply', assignment: a });
  assert.equal(gate.after, 3);
  assert.deepEqual(gate.offer(structuredClone(a)), { kind: 'same' });
  assert.deepEqual(gate.offer({ ...a, term: 2 }).kind, 'apply');
});

test('a bad assignment is refused and the last good one stays in force; the poll waits past its generation', () => {
  const good = sampleAssignment();
  const gate = new AssignmentGate(good);
  const bad = { ...sampleAssignment(), generation: 4, cameras: [{ id: 'c1' }] };
  const offer = gate.offer(bad);
  assert.equal(offer.kind, 'refused');
  assert.match(offer.kind === 'refused' ? offer.problems[0] : '', /^\/cameras\/0\/url: /);
  assert.equal(gate.current, good);
  assert.equal(gate.after, 4, 'the refused generation is not asked for again');
  for (const junk of [null, 'x', 42, [], {}]) assert.equal(gate.offer(junk).kind, 'refused');
  assert.equal(gate.current, good);
  const next = { ...sampleAssignment(), generation: 5 };
  assert.equal(gate.offer(next).kind, 'apply');
  assert.equal(gate.current, next);
});

test('fencing by (term, generation): what an earlier leader sends is refused, whatever its generation', () => {
  const a = { ...sampleAssignment(), term: 5, generation: 10 };
  const gate = new AssignmentGate(a);
  assert.deepEqual(gate.offer({ ...a, term: 4, generation: 99 }), { kind: 'older', term: 4, generation: 99 });
  assert.deepEqual(gate.offer({ ...a, generation: 9 }), { kind: 'older', term: 5, generation: 9 });
  assert.equal(gate.current, a, 'the newest pair stays in force');
  const next = { ...a, term: 6, generation: 3 };
  assert.equal(gate.offer(next).kind, 'apply', 'a new leader: its term counts first');
  assert.equal(gate.offer({ ...a, term: 5, generation: 11 }).kind, 'older');
});
