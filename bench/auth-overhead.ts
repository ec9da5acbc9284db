// bench:auth-overhead — GET /api/v1/cameras of a farm of 100 cameras, with authentication (an API
// token looked up in the store on each request) against the same app with its access table open
// (the hook runs and finds no credential to check), in one run: rounds of each in turn, over HTTP
// with keep-alive, 8 requests at a time. Prints one JSON object as its last line.
import { parseArgs } from 'node:util';
import { Store } from '../src/store/store.ts';
import { testDbLocation } from '../src/store/test-db.ts';
import { Controller } from '../src/controller/controller.ts';
import { parseFarmConfig } from '../src/config/farm-config.ts';
import { masterApp } from '../src/master/master-app.ts';
import { ROUTE_RULES, type Access } from '../src/auth/route-rules.ts';
import { addTestUser } from '../src/auth/test-users.ts';
import { createLogger } from '../src/lib/log.ts';
import { percentile } from './stats.ts';
import { aliveKeyring } from '../src/health/alive-keys.ts';
import { appTestPki } from '../src/auth/test-pki.ts';
import { storeSecretKey } from '../src/store/secret-url.ts';
import { newFarmKey } from '../src/lib/farm-key.ts';

const { values } = parseArgs({
  options: { rounds: { type: 'string', default: '6' }, 'round-ms': { type: 'string', default: '2000' } },
});
const ROUNDS = Number(values.rounds);
const ROUND_MS = Number(values['round-ms']);
const CONCURRENCY = 8;

const log = createLogger('bench', 'silent');
const { location, drop } = await testDbLocation();
const store = await Store.open(location, { secretKey: storeSecretKey(Buffer.from(newFarmKey())) });
await store.applyConfig(
  parseFarmConfig({
    groups: [{ id: 1 }],
    servers: Array.from({ length: 10 }, (_, s) => ({ id: `s${s}`, group: 1, host: '127.0.0.1', udpPort: 10_000 + s })),
    cameras: Array.from({ length: 100 }, (_, i) => ({
      id: `c${i}`,
      url: `rtsp://admin:secret@10.1.0.${i}/stream1`,
      server: `s${Math.floor(i / 10)}`,
    })),
  }).config,
);
const controller = new Controller({ store, log, tickMs: 0, aliveKeyOf: aliveKeyring(Buffer.alloc(32, 7)) });
await controller.start();
const token = await addTestUser(store, 'bench', 'viewer');
const open = Object.fromEntries(Object.keys(ROUTE_RULES).map((k) => [k, 'public' as Access]));
const appPki = await appTestPki(store, log);
const build = (rules?: Record<string, Access>) =>
  masterApp({
    log,
    controller,
    store,
    ...appPki,
    rules,
  });
const apps = { auth: await build(), open: await build(open) };
const urls = {
  auth: await apps.auth.listen({ host: '127.0.0.1', port: 0 }),
  open: await apps.open.listen({ host: '127.0.0.1', port: 0 }),
};
const headers = { auth: { authorization: `Bearer ${token}` }, open: {} };

/** Requests answered in one round of ROUND_MS against one app. */
async function round(kind: 'auth' | 'open'): Promise<number> {
  const end = performance.now() + ROUND_MS;
  let done = 0;
  await Promise.all(
    Array.from({ length: CONCURRENCY }, async () => {
      while (performance.now() < end) {
        const res = await fetch(`${urls[kind]}/api/v1/cameras`, { headers: headers[kind] });
        if (res.status !== 200) throw new Error(`${kind}: ${res.status}`);
        await res.arrayBuffer();
        done++;
      }
    }),
  );
  return done / (ROUND_MS / 1000);
}

const rps = { auth: [] as number[], open: [] as number[] };
await round('auth'); // warm both up
await round('open');
for (let i = 0; i < ROUNDS; i++)
  for (const kind of i % 2 ? (['open', 'auth'] as const) : (['auth', 'open'] as const)) {
    rps[kind].push(await round(kind));
    console.error(kind, Math.round(rps[kind].at(-1)!), 'req/s');
  }
await apps.auth.close();
await apps.open.close();
await controller.close();
await store.close();
await drop();
appPki.remove();
const auth = percentile(rps.auth, 50);
const without = percentile(rps.open, 50);
console.log(
  JSON.stringify({
    cameras: 100,
    concurrency: CONCURRENCY,
    rounds: ROUNDS,
    with_auth_rps: Math.round(auth),
    without_auth_rps: Math.round(without),
    overhead_percent: Math.round((1000 * (without - auth)) / without) / 10,
  }),
);
