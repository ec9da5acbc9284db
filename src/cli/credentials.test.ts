import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { credentialsFile, masterAccess, readCredentials, removeCredentials, writeCredentials } from './credentials.ts';

test('the credentials file: under $XDG_CONFIG_HOME (else ~/.config), folder 0700, file 0600, replaced whole', (t) => {
  const home = mkdtempSync(join(tmpdir(), 'vigil-cred-'));
  t.after(() => rmSync(home, { recursive: true, force: true }));
  assert.equal(credentialsFile({ XDG_CONFIG_HOME: home }), join(home, 'vigil', 'credentials.json'));
  assert.match(credentialsFile({}), /\/\.config\/vigil\/credentials\.json$/);
  const file = credentialsFile({ XDG_CONFIG_HOME: home });
  assert.equal(readCredentials(file), undefined);
  writeCredentials({ master: 'https://m:8080', secret: 'vs_one', ca: '/etc/vigil/ca.pem' }, file);
  assert.equal(statSync(join(home, 'vigil')).mode & 0o777, 0o700);
  assert.equal(statSync(file).mode & 0o777, 0o600);
  writeCredentials({ master: 'https://m:8080', secret: 'vs_two' }, file);
  assert.deepEqual(readCredentials(file), { master: 'https://m:8080', secret: 'vs_two' });
  assert.equal(statSync(file).mode & 0o777, 0o600);
  assert.match(readFileSync(file, 'utf8'), /"secret": "vs_two"/);
  removeCredentials(file);
  assert.equal(readCredentials(file), undefined);
});

test('which master and which credential a verb uses: --token, $VIGIL_TOKEN, the login — for its own master only', () => {
  const saved = { master: 'https://m:8080/', secret: 'vs_saved', ca: '/ca.pem' };
  const bearer = (s: string) => ({ authorization: `Bearer ${s}` });
  assert.deepEqual(masterAccess({}, {}, saved), {
    master: 'https://m:8080',
    headers: bearer('vs_saved'),
    ca: '/ca.pem',
  });
  assert.deepEqual(masterAccess({ master: 'https://m:8080' }, {}, saved).headers, bearer('vs_saved'));
  assert.deepEqual(masterAccess({}, { VIGIL_TOKEN: 'vt_env' }, saved).headers, bearer('vt_env'));
  assert.deepEqual(masterAccess({ token: 'vt_flag' }, { VIGIL_TOKEN: 'vt_env' }, saved).headers, bearer('vt_flag'));
  assert.deepEqual(
    masterAccess({ master: 'http://elsewhere:8080' }, {}, saved),
    { master: 'http://elsewhere:8080', headers: {} },
    'the saved secret never goes to another master',
  );
  assert.deepEqual(masterAccess({}, {}, undefined), { master: 'https://127.0.0.1:8080', headers: {} });
});
