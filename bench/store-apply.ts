// bench:store-apply — applies a farm of N cameras (100 a server) to a fresh store, applies it again
// (rows exist, placement kept), reads the snapshot back, and adds one server's status of segments,
// for 10,000 and 20,000 cameras, on SQLite and, when VIGIL_DB names a server, on PostgreSQL.
// Prints one JSON object as its last line (milliseconds; null: engine not run).
import { parseArgs } from 'node:util';
import { Store } from '../src/store/store.ts';
import { testDbLocation } from '../src/store/test-db.ts';
import { parseFarmConfig } from '../src/config/farm-config.ts';
import { storeSecretKey } from '../src/store/secret-url.ts';
import { newFarmKey } from '../src/lib/farm-key.ts';

const { values } = parseArgs({ options: { sizes: { type: 'string', default: '10000,20000' } } });
const sizes = values.sizes!.split(',').map(Number);

function farm(cameras: number) {
  const servers = Math.ceil(cameras / 100);
  return parseFarmConfig({
    groups: Array.from({ length: Math.ceil(servers / 10) }, (_, g) => ({ id: g + 1 })),
    servers: Array.from({ length: servers }, (_, s) => ({
      id: `s${s}`,
      group: 1 + Math.floor(s / 10),
      host: '127.0.0.1',
      udpPort: 10_000 + s,
    })),
    cameras: Array.from({ length: cameras }, (_, i) => ({
      id: `c${i}`,
      url: `rtsp://10.1.${Math.floor(i / 250)}.${i % 250}/stream1`,
      server: `s${Math.floor(i / 100)}`,
    })),
  }).config;
}

async function timed(fn: () => Promise<unknown>): Promise<number> {
  const t = performance.now();
  await fn();
  return Math.round(performance.now() - t);
}

async function run(server: string, cameras: number) {
  const config = farm(cameras);
  const { location, drop } = await testDbLocation(server);
  const store = await Store.open(location, { secretKey: storeSecretKey(Buffer.from(newFarmKey())) });
  try {
    const apply_ms = await timed(() => store.applyConfig(config));
    const reapply_ms = await timed(() => store.applyConfig(config));
    const snapshot_ms = await timed(() => store.snapshot());
    // One status of server s0: two 1 s segments of each of its 100 cameras, main and sub stream.
    const T = Date.now();
    const segments = config.cameras
      .filter((c) => c.server === 's0')
      .flatMap((c) =>
        [0, 1].flatMap((stream) =>
          [0, 1].map((k) => ({ camera: c.id, stream, startMs: T + k * 1000, endMs: T + k * 1000 + 1000 })),
        ),
      );
    const status_ms = await timed(() => store.addRecordings('s0', segments));
    return { apply_ms, reapply_ms, snapshot_ms, status_ms };
  } finally {
    await store.close();
    await drop();
  }
}

const pg = process.env.VIGIL_DB && /^postgres(ql)?:\/\//.test(process.env.VIGIL_DB) ? process.env.VIGIL_DB : undefined;
const out: Record<string, unknown> = {};
for (const [engine, server] of [
  ['sqlite', ''],
  ['postgres', pg],
] as const)
  for (const n of sizes) {
    const r = server === undefined ? null : await run(server, n);
    out[`${engine}_${n}`] = r;
    console.error(engine, n, JSON.stringify(r));
  }
console.log(JSON.stringify(out));
