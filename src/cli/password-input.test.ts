import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough, Readable } from 'node:stream';
import { PasswordInput } from './password-input.ts';

const stdin = (text: string) => Object.assign(Readable.from([Buffer.from(text)]), { isTTY: false }) as never;

test('passwords from a file (its first line) or, off a terminal, one stdin line each', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'vigil-pw-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const file = join(dir, 'pw');
  writeFileSync(file, 'from the file\nignored\n');
  const input = new PasswordInput(stdin('old one\r\nnew one\n'), new PassThrough());
  assert.equal(await input.read('password', { file }), 'from the file');
  assert.equal(await input.read('old password'), 'old one');
  assert.equal(await input.read('new password', { confirm: true }), 'new one', 'no confirmation off a terminal');
  await assert.rejects(input.read('third'), /no third on stdin/);
  writeFileSync(file, '\n');
  await assert.rejects(input.read('password', { file }), /no password on its first line/);
});

test('on a terminal: asked with echo off, confirmed, backspace and Ctrl-C understood', async () => {
  const tty = Object.assign(new PassThrough(), {
    isTTY: true,
    raw: [] as boolean[],
    setRawMode(on: boolean) {
      this.raw.push(on);
      return this;
    },
  });
  const prompts = new PassThrough();
  let asked = '';
  prompts.on('data', (d: Buffer) => {
    asked += d.toString();
  });
  const input = new PasswordInput(tty as never, prompts);
  const typed = input.read('password', { confirm: true });
  tty.write('secrex\u007ft\r');
  await new Promise((r) => setImmediate(r));
  tty.write('secret\r');
  assert.equal(await typed, 'secret');
  assert.deepEqual(tty.raw, [true, false, true, false], 'echo off while typing, back on after');
  assert.equal(asked, 'password: \npassword again: \n', 'nothing typed is shown');
  const differ = input.read('password', { confirm: true });
  tty.write('one\r');
  await new Promise((r) => setImmediate(r));
  tty.write('two\r');
  await assert.rejects(differ, /the passwords differ/);
  const cancelled = input.read('password');
  tty.write('abc\u0003');
  await assert.rejects(cancelled, /cancelled/);
});
