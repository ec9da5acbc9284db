// The console's figures (npm run bench:console -- --runs N), in real Chromium against a real farm:
// from kill -9 of the server recording a camera to the browser showing it down, and to the
// camera page's live view playing again from the new server (p50, p95); the delay of the service
// channel's events from their commit (the envelope's atMs) to the page (p95, every event of every
// run); the console's JavaScript, gzipped. The failover gap of each run is read from the files,
// so "live view back" can be held against it. Prints one JSON object as its last line.
//   --runs N (default 3), --port P (master; default 28590), --keep (the farm's folder stays)
import { parseArgs } from 'node:util';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { setTimeout as delay } from 'node:timers/promises';
import { FarmUnderTest } from '../test/support/farm-under-test.ts';
import { consoleLogin, openBrowser } from '../test/support/browser.ts';
import { farmSegments, footageHoles, localFarmStorage } from '../test/support/disk-footage.ts';
import { percentile } from './stats.ts';

const { values } = parseArgs({
  options: {
    runs: { type: 'string', default: '3' },
    port: { type: 'string', default: '28590' },
    keep: { type: 'boolean', default: false },
    help: { type: 'boolean', default: false },
  },
});
if (values.help) {
  console.log('usage: npm run bench:console -- [--runs N] [--port P] [--keep]');
  process.exit(0);
}
const runs = Number(values.runs);
const port = Number(values.port);
const MISSED_MS = 2000;
const START_DELAY_MS = 6000;
const config = {
  settings: {
    AliveIntervalMs: 250,
    FarmHealthMissedUdpMs: MISSED_MS,
    FarmHealthStartDelayMs: START_DELAY_MS,
    StatusIntervalMs: 250,
  },
  groups: [{ id: 1, policy: 'spare' as const }],
  servers: ['s1', 's2'].map((id, i) => ({ id, group: 1, host: '127.0.0.1', udpPort: port + 10 + i })),
  cameras: [{ id: 'c1', url: `rtsp://127.0.0.1:${port + 1}/c1`, server: 's1' }],
};

/** The console's JavaScript as a browser downloads it, gzipped (bytes). */
function consoleJsGzipped(): number {
  const dir = new URL('../dist/web/assets/', import.meta.url).pathname;
  return readdirSync(dir)
    .filter((f) => f.endsWith('.js'))
    .reduce((n, f) => n + gzipSync(readFileSync(join(dir, f)), { level: 9 }).length, 0);
}

// The farm's test helpers take a test context only for their clean-up: this is it.
const cleanups: (() => Promise<void> | void)[] = [];
const t = { after: (fn: () => Promise<void> | void) => cleanups.push(fn) } as never;
const dirKeep = values.keep;
if (dirKeep) process.env.VIGIL_KEEP_TEST_DIR = '1';

const result: Record<string, unknown> = {};
try {
  const fut = new FarmUnderTest(t, 'bench-console', port);
  await fut.farm.startSim(port + 1, ['c1']);
  await fut.start(config);
  await fut.settled({ c1: 's1' }, 60_000);
  const b = await openBrowser({ name: 'bench-console' });
  cleanups.push(() => b.close());
  const delays: number[] = [];
  await b.context.exposeFunction('__benchEvent', (type: string, atMs: number, receivedAtMs: number) => {
    if (type !== 'snapshot') delays.push(receivedAtMs - atMs);
  });
  await b.context.addInitScript(() => {
    const w = window as unknown as { __vigilOnEvent: unknown; __benchEvent: (...a: unknown[]) => void };
    w.__vigilOnEvent = (type: string, atMs: number, at: number) => w.__benchEvent(type, atMs, at);
  });
  const summary = b.page;
  await consoleLogin(summary, fut.farm.masterUrl, fut.farm.admin.user, fut.farm.admin.password);
  const camera = await b.context.newPage();
  await camera.goto(`${fut.farm.masterUrl}/cameras/c1`);
  const down: number[] = [];
  const liveBack: number[] = [];
  const gaps: number[] = [];
  const liveOverGap: number[] = [];
  let current = 's1';
  for (let run = 1; run <= runs; run++) {
    const other = current === 's1' ? 's2' : 's1';
    await fut.judging(START_DELAY_MS);
    await summary.locator(`[data-testid="server-${other}"][data-state="up"]`).waitFor({ timeout: 60_000 });
    // Page-side clocks (this machine's): when the server shows down, when the video plays again from the other.
    // As strings: tsx would name the functions of a callback with a helper the page does not have.
    const watchDown = summary.evaluate(`new Promise((resolve) => {
      const check = () => document.querySelector('[data-testid="server-${current}"][data-state="down"]')
        ? resolve(Date.now()) : requestAnimationFrame(check);
      check();
    })`) as Promise<number>;
    const watchLive = camera.evaluate(`new Promise((resolve) => {
      let from;
      const check = () => {
        const v = document.querySelector('[data-testid="live-c1"]');
        if (v && v.dataset.server === '${other}' && !v.paused) {
          if (from === undefined) from = v.currentTime;
          if (v.currentTime > from + 0.2) return resolve(Date.now());
        } else from = undefined;
        setTimeout(check, 20);
      };
      check();
    })`) as Promise<number>;
    // Awaited after the kill: a rejection meanwhile must not end the process before the farm is closed.
    watchDown.catch(() => undefined);
    watchLive.catch(() => undefined);
    const since = Date.now() - 5000;
    const killedAt = Date.now();
    await fut.farm.kill(current);
    const downAt = await watchDown;
    const liveAt = await watchLive;
    await delay(3000);
    const to = Date.now() - 1500;
    const gap = Math.max(0, ...footageHoles(farmSegments(localFarmStorage(fut.dir), 'c1'), since, to).map((h) => h.ms));
    down.push(downAt - killedAt);
    liveBack.push(liveAt - killedAt);
    gaps.push(gap);
    liveOverGap.push(liveAt - killedAt - gap);
    console.error(
      `run ${run}: ${current} killed; shown down after ${downAt - killedAt} ms, live view back from ${other} after ${liveAt - killedAt} ms; gap in the files ${gap} ms`,
    );
    // The killed server comes back holding nothing (spare): the next run kills the other one.
    fut.startNode(current);
    current = other;
  }
  Object.assign(result, {
    runs,
    down_shown_ms: { p50: percentile(down, 50), p95: percentile(down, 95) },
    live_back_ms: { p50: percentile(liveBack, 50), p95: percentile(liveBack, 95) },
    gap_ms: { p50: percentile(gaps, 50), p95: percentile(gaps, 95) },
    live_back_beyond_gap_ms: { p95: percentile(liveOverGap, 95), goal: 2000 },
    event_delay_ms: { p50: percentile(delays, 50), p95: percentile(delays, 95), events: delays.length, goal_p95: 300 },
    console_js_gzip_bytes: consoleJsGzipped(),
    console_js_goal_bytes: 250_000,
  });
} finally {
  for (const fn of cleanups.reverse()) await fn();
  if (dirKeep) console.error('kept the farm folder');
}
console.log(JSON.stringify(result));
