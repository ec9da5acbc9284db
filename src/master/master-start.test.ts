import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Master } from './master.ts';
import { parseFarmConfig } from '../config/farm-config.ts';
import { createLogger } from '../lib/log.ts';
import { testDbLocation } from '../store/test-db.ts';
import { addTestUsers } from '../auth/test-users.ts';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { tlsFetch } from '../lib/http/tls.ts';
import { farmClientTls } from '../auth/peer-identity.ts';
import { enrollOverApi } from '../auth/test-pki.ts';
import { newFarmKey } from '../lib/farm-key.ts';

const backend = process.env.VIGIL_DB ? 'postgres' : 'sqlite';

// The size the project claims: 100 servers x 100 cameras once stopped the master at start with
// "too many SQL variables" (the whole configuration in one statement).
test(`${backend}: the master starts with a farm of 100 servers x 100 cameras and serves it`, async () => {
  const { location, drop } = await testDbLocation();
  const { vera, ada } = await addTestUsers(location, { vera: 'viewer', ada: 'admin' });
  const { config } = parseFarmConfig({
    groups: Array.from({ length: 10 }, (_, g) => ({ id: g + 1 })),
    servers: Array.from({ length: 100 }, (_, s) => ({
      id: `s${s}`,
      group: 1 + Math.floor(s / 10),
      host: '127.0.0.1',
      udpPort: 10_000 + s,
    })),
    cameras: Array.from({ length: 10_000 }, (_, i) => ({
      id: `c${i}`,
      url: `rtsp://admin:secret@10.1.${Math.floor(i / 250)}.${i % 250}/stream1`,
      server: `s${Math.floor(i / 100)}`,
    })),
  });
  const farmKey = Buffer.from(newFarmKey());
  const dir = mkdtempSync(join(tmpdir(), 'vigil-master-start-'));
  const master = new Master({
    store: location,
    host: '127.0.0.1',
    port: 0,
    farmKey,
    pkiDir: join(dir, 'pki'),
    config,
    log: createLogger('t', 'silent'),
  });
  try {
    await master.start();
    const ca = master.ca!.caPem;
    const http = tlsFetch({ ca });
    const cameras = (await (
      await http.fetch(`${master.url}/api/v1/cameras`, { headers: { authorization: `Bearer ${vera}` } })
    ).json()) as { id: string; url: string }[];
    await http.close();
    assert.equal(cameras.length, 10_000);
    assert.ok(
      cameras.every((c) => !c.url.includes('secret')),
      'credentials redacted',
    );
    const admin = { authorization: `Bearer ${ada}` };
    const s42 = tlsFetch(farmClientTls(await enrollOverApi(master.url, ca, 's42', admin), 'master'));
    const res = await s42.fetch(`${master.url}/api/v1/nodes/s42/assignment`);
    const a = (await res.json()) as { cameras: { id: string }[] };
    await s42.close();
    assert.deepEqual(
      a.cameras.map((c) => c.id),
      Array.from({ length: 100 }, (_, i) => `c${4200 + i}`),
    );
  } finally {
    await master.close();
    await drop();
    rmSync(dir, { recursive: true, force: true });
  }
});
