import { test } from 'node:test';
import assert from 'node:assert/strict';
import { eachLimited } from './each-limited.ts';

const tick = () => new Promise((r) => setImmediate(r));

test('every item runs, started in order, never more than the limit at once', async () => {
  const started: number[] = [];
  let running = 0;
  let most = 0;
  await eachLimited([1, 2, 3, 4, 5, 6, 7], 3, async (n) => {
    started.push(n);
    most = Math.max(most, ++running);
    for (let i = 0; i < 8 - n; i++) await tick(); // the first ones end last
    running--;
  });
  assert.deepEqual(started, [1, 2, 3, 4, 5, 6, 7]);
  assert.equal(most, 3);
});

test('after a failure nothing more starts, the started ones end, and the first failure is thrown', async () => {
  const started: number[] = [];
  const ended: number[] = [];
  await assert.rejects(
    eachLimited([1, 2, 3, 4, 5], 2, async (n) => {
      started.push(n);
      await tick();
      if (n === 2) throw new Error('two failed');
      await tick();
      ended.push(n);
    }),
    /two failed/,
  );
  assert.deepEqual(started, [1, 2]);
  assert.deepEqual(ended, [1], 'the one running when two failed ran to its end first');
  await eachLimited([], 4, async () => assert.fail('nothing to run'));
  await assert.rejects(
    eachLimited([1], 0, async () => {}),
    /at least 1/,
  );
});
