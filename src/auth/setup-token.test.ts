import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { SETUP_TOKEN_FILE, SetupToken } from './setup-token.ts';
import { createLogger } from '../lib/log.ts';

function logged() {
  const lines: string[] = [];
  const out = new Writable({
    write(chunk, _enc, done) {
      lines.push(String(chunk));
      done();
    },
  });
  return { lines, log: createLogger('t', 'info', out) };
}

test('a farm without users gets a one-time token: logged once, in a 0600 file, gone when used', (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'vigil-setup-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const { lines, log } = logged();
  const s = SetupToken.prepare({ dataDir: dir, users: 0, log });
  const file = join(dir, SETUP_TOKEN_FILE);
  const token = readFileSync(file, 'utf8').trim();
  assert.match(token, /^vsu_[A-Za-z0-9_-]{43}$/);
  assert.equal(statSync(file).mode & 0o777, 0o600);
  assert.equal(lines.length, 1);
  assert.ok(lines[0].includes(`setup token: ${token}`), lines[0]);
  assert.equal(s.pending, true);
  assert.equal(s.matches('vsu_wrong'), false);
  assert.equal(s.consume(`${token}x`), false);
  assert.equal(s.matches(token), true);
  assert.equal(s.consume(token), true);
  assert.equal(existsSync(file), false);
  assert.equal(s.consume(token), false, 'once only');
  assert.equal(s.pending, false);
});

test('each start makes a new token; with users there is none, and a stale file goes', (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'vigil-setup-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const file = join(dir, SETUP_TOKEN_FILE);
  writeFileSync(file, 'vsu_old\n', { mode: 0o644 });
  const { log } = logged();
  SetupToken.prepare({ dataDir: dir, users: 0, log });
  assert.notEqual(readFileSync(file, 'utf8').trim(), 'vsu_old');
  assert.equal(statSync(file).mode & 0o777, 0o600, 'made anew, not the old file rewritten');
  const done = SetupToken.prepare({ dataDir: dir, users: 1, log });
  assert.equal(existsSync(file), false);
  assert.equal(done.pending, false);
  assert.equal(done.matches(''), false);
});
