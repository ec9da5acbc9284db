import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { AssignmentCache } from './assignment-cache.ts';
import { sampleAssignment } from '../protocol/assignment.test.ts';
import type { Logger } from '../lib/log.ts';

/** A logger that keeps what is logged at error level. */
function recordingLog(): { log: Logger; errors: { obj: Record<string, unknown>; msg: string }[] } {
  const errors: { obj: Record<string, unknown>; msg: string }[] = [];
  const log = { error: (obj: Record<string, unknown>, msg: string) => errors.push({ obj, msg }) } as unknown as Logger;
  return { log, errors };
}

test('a saved assignment is read back as it was, in a file only its user reads', (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'vigil-cache-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const { log, errors } = recordingLog();
  const cache = new AssignmentCache(dir, log);
  assert.equal(cache.load(), undefined, 'none yet');
  cache.save(sampleAssignment());
  assert.deepEqual(cache.load(), sampleAssignment());
  assert.equal(statSync(join(dir, 'assignment.json')).mode & 0o777, 0o600);
  assert.deepEqual(errors, []);
});

test('the Alive keys are kept 0600 even over files a crash left readable', (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'vigil-cache-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const file = join(dir, 'assignment.json');
  for (const f of [file, `${file}.tmp`]) writeFileSync(f, '{}', { mode: 0o644 });
  const cache = new AssignmentCache(dir, recordingLog().log);
  cache.save(sampleAssignment());
  assert.equal(statSync(file).mode & 0o777, 0o600);
  assert.deepEqual(cache.load()?.alive, sampleAssignment().alive);
});

test('a cache file that is not a valid assignment is refused with a logged error naming the problem', (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'vigil-cache-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const { log, errors } = recordingLog();
  const cache = new AssignmentCache(dir, log);
  const file = join(dir, 'assignment.json');
  const { settings: _, ...noSettings } = sampleAssignment();
  writeFileSync(file, JSON.stringify(noSettings));
  assert.equal(cache.load(), undefined);
  assert.equal(errors.length, 1);
  assert.match(errors[0].msg, /cached assignment refused, \d+ problem/);
  assert.match(String((errors[0].obj.problems as string[])[0]), /^\/settings: /);
  writeFileSync(file, '{"term": 1, "gener');
  assert.equal(cache.load(), undefined);
  assert.match(errors[1].msg, /not JSON/);
});
