import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { Master } from './master.ts';
import { VigilError } from '../lib/errors.ts';
import { createLogger } from '../lib/log.ts';
import { addTestUsers } from '../auth/test-users.ts';
import { tlsFetch } from '../lib/http/tls.ts';
import { newFarmKey } from '../lib/farm-key.ts';

const FARM_KEY = Buffer.from(newFarmKey());
const farm = () => ({
  settings: { FarmHealthStartDelayMs: 60_000 },
  groups: [{ id: 1 }],
  servers: [
    { id: 's1', group: 1, host: '127.0.0.1', udpPort: 19101 },
    { id: 's2', group: 1, host: '127.0.0.1', udpPort: 19102 },
  ],
  cameras: [{ id: 'c1', url: 'rtsp://127.0.0.1:18998/c1', server: 's1' }],
});

const master = (store: string, config: unknown) =>
  new Master({
    store,
    host: '127.0.0.1',
    port: 0,
    farmKey: FARM_KEY,
    pkiDir: join(dirname(store), 'pki'),
    config,
    log: createLogger('test', 'silent'),
  });

async function refusal(m: Master): Promise<VigilError> {
  const err = await m.start().then(
    () => undefined,
    (e: unknown) => e,
  );
  assert.ok(err instanceof VigilError, `refused: ${String(err)}`);
  return err;
}

test('a configuration given at start is checked as PUT /api/v1/config checks it: refused whole, every problem listed', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'vigil-master-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const bad = farm() as ReturnType<typeof farm> & { cameras: Record<string, unknown>[] };
  bad.cameras.push({ id: 'c2', url: 'ftp://x', server: 's9' });
  (bad.servers[0] as Record<string, unknown>).extra = 1;
  const err = await refusal(master(join(dir, 'farm.sqlite'), bad));
  assert.equal(err.code, 'CONFIG_INVALID');
  assert.ok(err.details.length >= 3, JSON.stringify(err.details));
  assert.match(err.message, /^configuration refused, \d+ problem\(s\):\n- /);
  assert.match(err.message, /servers\/0\/extra/);
});

test('at start, edits of a camera running away from home are refused as by PUT /api/v1/config', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'vigil-master-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const store = join(dir, 'farm.sqlite');
  const { ops: KEY } = await addTestUsers(store, { ops: 'operator' });
  const first = master(store, farm());
  await first.start();
  try {
    const http = tlsFetch({ ca: first.ca!.caPem });
    const res = await http.fetch(`${first.url}/api/v1/servers/s1/failover`, {
      method: 'POST',
      headers: { authorization: `Bearer ${KEY}` },
    });
    assert.equal(res.status, 200, await res.text());
    await http.close();
  } finally {
    await first.close();
  }
  const edited = farm();
  edited.cameras[0].url = 'rtsp://127.0.0.1:18998/other';
  const err = await refusal(master(store, edited));
  assert.equal(err.code, 'CAMERA_MOVED');
  assert.equal(err.details.length, 1);
  assert.match(String(err.details[0]), /camera c1 runs on s2 while its server s1 is failed over: url/);
  // The same configuration unedited is applied, and the master runs.
  const again = master(store, farm());
  await again.start();
  await again.close();
});
