import { test } from 'node:test';
import assert from 'node:assert/strict';
import { deadline } from './deadline.ts';

test('a deadline aborts after its time, or with the signal it follows; cleared, never', async () => {
  const late = deadline(30);
  await new Promise((r) => setTimeout(r, 80)); // its own timer is unref'd: this one holds the test
  assert.equal(late.signal.aborted, true);
  assert.equal((late.signal.reason as DOMException).name, 'TimeoutError');
  const outer = new AbortController();
  const follows = deadline(60_000, outer.signal);
  outer.abort(new Error('gone'));
  assert.equal(follows.signal.aborted, true);
  assert.equal((follows.signal.reason as Error).message, 'gone');
  follows.clear();
  const cleared = deadline(20);
  cleared.clear();
  await new Promise((r) => setTimeout(r, 50));
  assert.equal(cleared.signal.aborted, false);
});
