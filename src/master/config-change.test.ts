import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseFarmConfig, type FarmConfigInput } from '../config/farm-config.ts';
import { Store } from '../store/store.ts';
import { configChangeSummary, configOfSnapshot } from './config-change.ts';
import { storeSecretKey } from '../store/secret-url.ts';
import { randomBytes } from 'node:crypto';

const input = (): FarmConfigInput => ({
  settings: { StatusIntervalMs: 400 },
  groups: [{ id: 1 }, { id: 2, policy: 'distribute' }],
  servers: [
    {
      id: 's1',
      group: 1,
      host: '127.0.0.1',
      udpPort: 7001,
      storage: { paths: '/var/v1;/var/v2', availability: 'redundant' },
    },
    { id: 's2', group: 1, host: '127.0.0.1', udpPort: 7002, maxCameras: 4 },
    { id: 's3', group: 2, host: '10.0.0.3' },
  ],
  cameras: [
    {
      id: 'c1',
      url: 'rtsp://admin:secret@10.0.0.9/c1',
      server: 's1',
      streams: [{ url: 'rtsp://10.0.0.9/c1s' }],
      storage: { maxStorageDays: '3;20' },
    },
    { id: 'c2', url: 'rtsp://10.0.0.9/c2', server: 's1', movable: false, priority: 'high' },
    { id: 'c3', url: 'rtsp://10.0.0.9/c3', server: 's3' },
  ],
});
const parsed = (c: FarmConfigInput) => parseFarmConfig(c).config;

test('a configuration change is summed up per kind: added, removed, changed; settings by name', () => {
  const before = parsed(input());
  const next = input();
  next.settings = { StatusIntervalMs: 300, AliveIntervalMs: 200 };
  next.servers.push({ id: 's4', group: 2, host: '10.0.0.4' });
  next.servers[1].maxCameras = 5;
  next.servers[2].host = '10.0.0.33';
  next.cameras = next.cameras.filter((c) => c.id !== 'c2');
  next.cameras.push({ id: 'c4', url: 'rtsp://u:p@10.0.0.9/c4', server: 's4' });
  next.cameras.push({ id: 'c5', url: 'rtsp://10.0.0.9/c5', server: 's4' });
  next.cameras[0].url = 'rtsp://admin:other@10.0.0.9/c1';
  const summary = configChangeSummary(before, parsed(next));
  assert.equal(
    summary,
    'groups +0 −0 ~0, servers +1 −0 ~2, cameras +2 −1 ~1, settings ~2 (AliveIntervalMs, StatusIntervalMs)',
  );
  assert.ok(!/secret|other|u:p/.test(summary), 'no credential in the summary');
  assert.equal(
    configChangeSummary(before, parsed(input())),
    'groups +0 −0 ~0, servers +0 −0 ~0, cameras +0 −0 ~0, settings ~0',
  );
});

test('the configuration read back from the store is the one applied: nothing counts as changed', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'vigil-change-'));
  const store = await Store.open(join(dir, 'farm.sqlite'), { secretKey: storeSecretKey(randomBytes(32)) });
  t.after(async () => {
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  });
  const empty = configOfSnapshot(await store.snapshot());
  assert.equal(
    configChangeSummary(empty, parsed(input())),
    'groups +2 −0 ~0, servers +3 −0 ~0, cameras +3 −0 ~0, settings ~1 (StatusIntervalMs)',
  );
  await store.applyConfig(parsed(input()));
  await store.moveCameras([{ camera: 'c1', to: 's2' }]); // a failover's placement is no configuration change
  await store.setServerState('s1', 'down', 1);
  const applied = configOfSnapshot(await store.snapshot());
  assert.equal(
    configChangeSummary(applied, parsed(input())),
    'groups +0 −0 ~0, servers +0 −0 ~0, cameras +0 −0 ~0, settings ~0',
  );
});
