import { test } from 'node:test';
import assert from 'node:assert/strict';
import { problemsOf, readConfigText } from './config-upload.ts';

test('a YAML syntax error is named with its line; a mapping is read', () => {
  const bad = readConfigText('servers:\n  - { id: s1\ncameras: []\n');
  assert.ok('problems' in bad);
  assert.match(bad.problems[0], /^YAML \(line \d+, column \d+\): /);
  assert.deepEqual(readConfigText('groups: []'), { config: { groups: [] } });
  assert.ok('problems' in readConfigText('just text'));
});

test("the master's refusal lists each problem of its details", () => {
  assert.deepEqual(problemsOf({ error: { message: 'refused', details: ['/servers/0: x', '/cameras: y'] } }, 400), [
    '/servers/0: x',
    '/cameras: y',
  ]);
  assert.deepEqual(problemsOf({ error: { message: 'nope' } }, 403), ['nope']);
  assert.deepEqual(problemsOf(undefined, 502), ['HTTP 502']);
});
