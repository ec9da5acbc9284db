import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { Store } from './store.ts';
import { storeSecretKey } from './secret-url.ts';
import { testDbLocation } from './test-db.ts';
import { parseFarmConfig } from '../config/farm-config.ts';

const backend = process.env.VIGIL_DB ? 'postgres' : 'sqlite';
const MAIN_PW = 'Hunter2-main-pw';
const SUB_PW = 'p@ss sub-stream-pw';
const mainUrl = `rtsp://admin:${MAIN_PW}@10.0.0.5:554/main`;
const subUrl = `rtsp://viewer:${encodeURIComponent(SUB_PW)}@10.0.0.5:554/sub`;
const key = () => storeSecretKey(Buffer.from(randomBytes(32).toString('hex')));

const config = () =>
  parseFarmConfig({
    groups: [{ id: 1 }],
    servers: [{ id: 's1', group: 1, host: '127.0.0.1', udpPort: 7101 }],
    cameras: [
      { id: 'c1', url: mainUrl, server: 's1', streams: [{ url: subUrl }] },
      { id: 'c2', url: 'rtsp://10.0.0.6/open', server: 's1' },
    ],
  }).config;

const secrets = [MAIN_PW, SUB_PW, encodeURIComponent(SUB_PW)];

/** Every byte the store keeps: the SQLite file and its -wal/-shm, or the rows of PostgreSQL. */
async function storedBytes(store: Store, location: string): Promise<string> {
  const rows = JSON.stringify(await store.db.selectFrom('cameras').selectAll().execute());
  if (backend === 'postgres') return rows;
  const dir = dirname(location);
  const files = readdirSync(dir).filter((f) => f.startsWith('farm.sqlite'));
  return rows + files.map((f) => readFileSync(join(dir, f)).toString('latin1')).join('');
}

function assertNoSecret(text: string, when: string): void {
  for (const s of secrets) assert.ok(!text.includes(s), `${when}: the store holds ${JSON.stringify(s)}`);
}

test(`${backend}: camera passwords are sealed at rest and read back in clear`, async () => {
  const { location, drop } = await testDbLocation();
  const k = key();
  try {
    let store = await Store.open(location, { secretKey: k });
    await store.applyConfig(config());
    await store.applyConfig(config());
    const snap = await store.snapshot();
    assert.equal(snap.cameras[0].url, mainUrl);
    assert.equal(snap.cameras[0].streams?.[0].url, subUrl);
    assert.equal(snap.cameras[1].url, 'rtsp://10.0.0.6/open');
    const row = await store.db.selectFrom('cameras').selectAll().where('id', '=', 'c1').executeTakeFirstOrThrow();
    assert.match(row.url, /^rtsp:\/\/admin:enc:v1:[A-Za-z0-9_-]+@10\.0\.0\.5:554\/main$/);
    assertNoSecret(await storedBytes(store, location), 'open');
    await store.close();
    if (backend === 'sqlite') {
      assert.equal(statSync(location).mode & 0o777, 0o600);
      assertNoSecret(readFileSync(location).toString('latin1'), 'closed');
    }
    // Another farm key does not open them: the master says so, naming the camera.
    store = await Store.open(location, { secretKey: key() });
    await assert.rejects(store.snapshot(), /camera c1: its stored password does not open with this farm key/);
    await store.close();
    // Without a key the store opens (for users, say) but keeps no password plain.
    store = await Store.open(location);
    await assert.rejects(store.applyConfig(config()), /without the farm key: it cannot keep camera passwords/);
    await store.close();
  } finally {
    await drop();
  }
});

test(`${backend}: plain passwords an older version stored are sealed at the next open, and leave no trace`, async () => {
  const { location, drop } = await testDbLocation();
  const k = key();
  try {
    let store = await Store.open(location);
    await store.applyConfig(parseFarmConfig({ ...config(), cameras: [] }).config);
    // The rows as a version without sealing wrote them.
    await store.db
      .insertInto('cameras')
      .values([
        {
          id: 'c1',
          url: mainUrl,
          home_server: 's1',
          current_server: 's1',
          movable: 1,
          options: JSON.stringify({ streams: [{ url: subUrl }] }),
          runtime: '{}',
        },
        {
          id: 'c2',
          url: 'rtsp://10.0.0.6/open',
          home_server: 's1',
          current_server: 's1',
          movable: 1,
          options: '{}',
          runtime: '{}',
        },
      ])
      .execute();
    assert.ok((await storedBytes(store, location)).includes(MAIN_PW), 'the old rows are plain');
    await store.close();
    store = await Store.open(location, { secretKey: k });
    try {
      assertNoSecret(await storedBytes(store, location), 'after sealing');
      const snap = await store.snapshot();
      assert.equal(snap.cameras[0].url, mainUrl);
      assert.equal(snap.cameras[0].streams?.[0].url, subUrl);
    } finally {
      await store.close();
    }
    if (backend === 'sqlite') assertNoSecret(readFileSync(location).toString('latin1'), 'closed after sealing');
  } finally {
    await drop();
  }
});
