import { test } from 'node:test';
import assert from 'node:assert/strict';
import { actionsFor, confirmText, moveText } from './action-text.ts';

test('the confirmation names the cameras that will move', () => {
  const s1 = { id: 's1', group: 1, cameras: ['c1', 'c2'] };
  assert.match(
    confirmText('failover', s1, ['c1', 'c2']),
    /^Fail over s1 now: c1, c2 move to another server of group 1/,
  );
  assert.match(confirmText('drain', s1, []), /c1, c2 move .* make-before-break/);
  assert.match(confirmText('failback', { ...s1, cameras: [] }, ['c1', 'c2']), /its cameras \(c1, c2\) return/);
  assert.match(moveText('c1', 's1', 's2'), /^Move c1 from s1 to s2/);
});

test('a server offers what it can do now', () => {
  const cams = [{ homeServer: 's1', currentServer: 's3' }];
  assert.deepEqual(actionsFor({ id: 's1', state: 'up', maintenance: false }, cams), ['failover', 'drain', 'failback']);
  assert.deepEqual(actionsFor({ id: 's1', state: 'down', maintenance: false }, cams), []);
  assert.deepEqual(actionsFor({ id: 's1', state: 'up', maintenance: true }, cams), ['resume']);
  assert.deepEqual(actionsFor({ id: 's2', state: 'up', maintenance: false }, cams), ['failover', 'drain']);
});
