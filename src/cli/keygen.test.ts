import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseFarmKey } from '../lib/farm-key.ts';

const BIN = fileURLToPath(new URL('../../bin/vigil-dev.js', import.meta.url));

function vigil(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) =>
    execFile(process.execPath, [BIN, ...args], { timeout: 60_000 }, (err, stdout, stderr) =>
      resolve({ code: err ? Number((err as { code?: number }).code ?? 1) : 0, stdout, stderr }),
    ),
  );
}

test('vigil keygen prints a strong key, or writes it to a new 0600 file and never overwrites one', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'vigil-keygen-'));
  try {
    const printed = await vigil(['keygen']);
    assert.equal(printed.code, 0, printed.stderr);
    assert.match(printed.stdout, /^[0-9a-f]{64}\n$/);
    parseFarmKey(printed.stdout, 'stdout');
    const file = join(dir, 'farm.key');
    const written = await vigil(['keygen', '--out', file]);
    assert.equal(written.code, 0, written.stderr);
    assert.equal(written.stdout, '');
    assert.equal(statSync(file).mode & 0o777, 0o600);
    const key = readFileSync(file, 'utf8');
    assert.match(key, /^[0-9a-f]{64}\n$/);
    assert.notEqual(key, printed.stdout);
    const again = await vigil(['keygen', '--out', file]);
    assert.equal(again.code, 1);
    assert.match(again.stderr, /exists: refused to overwrite a key/);
    assert.equal(readFileSync(file, 'utf8'), key);
    // The master refuses a key file others may read, and a weak key.
    const open = join(dir, 'open.key');
    writeFileSync(open, key, { mode: 0o644 });
    const refused = await vigil(['master', '--key-file', open, '--data', join(dir, 'm'), '--port', '0']);
    assert.equal(refused.code, 1);
    assert.match(refused.stderr, new RegExp(`${open} has mode 644.*chmod 600 ${open}`));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
