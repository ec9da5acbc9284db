import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Store } from '../store/store.ts';
import { testDbLocation } from '../store/test-db.ts';
import { parseFarmConfig } from '../config/farm-config.ts';
import { LocalIndex } from '../storage/local-index.ts';
import { hourDigests } from '../storage/index-digest.ts';
import { createLogger } from '../lib/log.ts';
import { ServerReconcile } from './reconcile-runner.ts';

const backend = process.env.VIGIL_DB ? 'postgres' : 'sqlite';
const NOW = Date.UTC(2026, 0, 2, 12, 30);
const config = parseFarmConfig({
  servers: [
    { id: 's1', group: 1, host: '127.0.0.1', udpPort: 7001 },
    { id: 's2', group: 1, host: '127.0.0.1', udpPort: 7002 },
  ],
  groups: [{ id: 1 }],
  cameras: [
    { id: 'c1', url: 'rtsp://127.0.0.1/c1', server: 's1' },
    { id: 'c2', url: 'rtsp://127.0.0.1/c2', server: 's2' },
  ],
}).config;

test(`${backend}: a reconnected server's timeline is brought in step with its index, both ways, within the window, its own cameras only`, async (t) => {
  const { location, drop } = await testDbLocation();
  const store = await Store.open(location);
  const index = new LocalIndex(':memory:');
  t.after(async () => {
    index.close();
    await store.close();
    await drop();
  });
  await store.applyConfig(config);
  const farm = await store.snapshot();
  const seg = (camera: string, startMs: number) => ({
    camera,
    startMs,
    endMs: startMs + 2000,
    bytes: 7,
    sha256: 'e'.repeat(64),
  });
  const put = (camera: string, startMs: number) =>
    index.addStored(
      {
        cameraId: camera,
        startMs,
        endMs: startMs + 2000,
        path: `${camera}/${startMs}.ts`,
        bytes: 7,
        sha256: 'e'.repeat(64),
      },
      ['/p'],
    );
  // Both know 0-2 s; the index has 2-4 s (recorded while cut off) and the master 4-6 s (gone from the disk);
  // the index has an old segment outside the window and one of c2, which s1 never had.
  const T = NOW - 3_600_000;
  await store.addRecordings('s1', [seg('c1', T), seg('c1', T + 4000)]);
  await store.addRecordings('s2', [seg('c1', T + 4000)]);
  put('c1', T);
  put('c1', T + 2000);
  put('c1', NOW - 30 * 3_600_000);
  put('c2', T);
  const calls: string[] = [];
  const reconcile = new ServerReconcile({
    store,
    farm: () => farm,
    apiUrlOf: () => 'https://127.0.0.1:1',
    clock: { now: () => NOW },
    log: createLogger('test', 'silent'),
    client: {
      indexDigest: async (_b, q) => {
        calls.push('digest');
        return hourDigests(
          index.cameraStreams().flatMap(({ cameraId, stream }) =>
            index
              .listRecorded(cameraId, q.from, q.to, stream)
              .filter((s) => s.startMs >= q.from)
              .map((s) => ({ camera: cameraId, stream, startMs: s.startMs, endMs: s.endMs })),
          ),
        );
      },
      segments: async (_b, q) => {
        calls.push(`list ${q.camera}`);
        return index.listRecorded(q.camera, q.from, q.to, q.stream ?? 0);
      },
    },
  });
  const r = await reconcile.reconcile('s1');
  assert.deepEqual([r.added, r.removed, r.refused], [1, 1, 1]);
  const timeline = async (camera: string) =>
    (await store.recordings(camera, NOW - 40 * 3_600_000, NOW, 0))
      .map((x) => [x.server, x.startMs - T, x.endMs - T])
      .sort();
  assert.deepEqual(await timeline('c1'), [
    ['s1', 0, 4000],
    ['s2', 4000, 6000],
  ]);
  assert.deepEqual(await timeline('c2'), [], 'a camera the server never had stays out');
  assert.equal(
    (await store.segments('c1', T, T + 4000, 0, 's1')).find((s) => s.startMs === T + 2000)?.sha256,
    'e'.repeat(64),
  );
  // In step now: a second run lists nothing.
  calls.length = 0;
  const again = await reconcile.reconcile('s1');
  assert.deepEqual([again.added, again.removed], [0, 0]);
  assert.deepEqual(calls, ['digest', 'list c2']);
});
