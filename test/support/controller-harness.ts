import { Controller } from '../../src/controller/controller.ts';
import { Store } from '../../src/store/store.ts';
import { testDbLocation } from '../../src/store/test-db.ts';
import { parseFarmConfig, type FarmConfigInput } from '../../src/config/farm-config.ts';
import { createLogger } from '../../src/lib/log.ts';
import { aliveKeyring } from '../../src/health/alive-keys.ts';

/** The Alive keys of the tests' controllers: a farm key of their own. */
export const TEST_ALIVE_KEYS = aliveKeyring(Buffer.from('controller-harness farm key'));

/**
 * For tests: a controller on a real store with a hand-moved clock; ticks are called by the test.
 * The store is a SQLite file, or with VIGIL_DB a PostgreSQL database of the test's own, dropped after it.
 */
export async function controllerHarness(t: { after: (fn: () => Promise<void>) => void }, config: FarmConfigInput) {
  const { location, drop } = await testDbLocation();
  let store: Store | undefined;
  try {
    store = await Store.open(location);
    await store.applyConfig(parseFarmConfig(config).config);
  } catch (err) {
    // No test runs, so no after hook would drop its database.
    await store?.close();
    await drop();
    throw err;
  }
  const clock = {
    t: 1_000_000,
    now() {
      return this.t;
    },
  };
  const c = new Controller({
    store,
    log: createLogger('test', 'silent'),
    clock,
    tickMs: 0,
    aliveKeyOf: TEST_ALIVE_KEYS,
  });
  await c.start();
  t.after(async () => {
    await c.close();
    await store.close();
    await drop();
  });
  // Like a node: each status numbered in its boot, carrying the master's time of the last answer.
  const sent = new Map<string, { seq: number; answeredAtMs?: number }>();
  const status = async (
    id: string,
    suspects: string[] = [],
    segments: { camera: string; startMs: number; endMs: number }[] = [],
  ) => {
    const n = sent.get(id) ?? { seq: 0 };
    n.seq++;
    sent.set(id, n);
    const { seq, answeredAtMs } = n;
    const answer = await c.onStatus(id, { bootId: `boot-${id}`, seq, answeredAtMs, suspects, cameras: {}, segments });
    n.answeredAtMs = answer.masterTimeMs;
  };
  /** A down server comes back as a node does: its first status gets an answer, its second carries it (mayRevive). */
  const back = async (id: string) => {
    await status(id);
    await status(id);
  };
  /** Moves the clock to 1 000 000 + ms and ticks once. */
  const at = async (ms: number) => {
    clock.t = 1_000_000 + ms;
    await c.tick();
  };
  return { c, store, clock, status, back, at };
}
