import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import type { Page } from 'playwright-core';
import type { FarmConfigInput } from '../src/config/farm-config.ts';
import { FarmUnderTest } from './support/farm-under-test.ts';
import { ARTIFACTS, consoleLogin, openBrowser } from './support/browser.ts';
import { SseClient } from './support/sse-client.ts';

// The console against a real farm of separate processes, in real Chromium: a viewer sees and may
// not act; kill -9 of a recording server shows without a reload (summary, failover steps live, the
// camera's live view back from the new server, its timeline's gap linked to the failover); the
// service channel replays what a client missed; a bad configuration is refused whole; the page
// comes back by itself after a master restart; a failback's copy-back bar runs to 100 % and goes.
const PORTS = { master: 28480, rtsp: 28454, udp: 28445 };
const MISSED_MS = 1500;
const START_DELAY_MS = 6000;
const config: FarmConfigInput = {
  settings: {
    AliveIntervalMs: 250,
    FarmHealthMissedUdpMs: MISSED_MS,
    FarmHealthStartDelayMs: START_DELAY_MS,
    StatusIntervalMs: 250,
    // Slow enough for the copy-back bar to be seen moving.
    CopyBackMaxBytesPerSec: 150_000,
  },
  groups: [{ id: 1, policy: 'spare' }],
  servers: ['s1', 's2'].map((id, i) => ({ id, group: 1, host: '127.0.0.1', udpPort: PORTS.udp + i })),
  cameras: [{ id: 'c1', url: `rtsp://127.0.0.1:${PORTS.rtsp}/c1`, server: 's1' }],
};

/** The video's playing position now (seconds), and the server it plays from. */
const videoState = (page: Page, testId: string) =>
  page.evaluate((id) => {
    const v = document.querySelector<HTMLVideoElement>(`[data-testid="${id}"]`);
    return v ? { t: v.currentTime, server: v.dataset.server ?? '' } : undefined;
  }, testId);

/** Waits until the video plays from `server` and its currentTime has advanced by `bySec` there. */
async function playsFrom(page: Page, testId: string, server: string, bySec: number, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let first: number | undefined;
  for (;;) {
    const s = await videoState(page, testId);
    if (s?.server === server) {
      first ??= s.t;
      if (s.t - first >= bySec) return;
    } else first = undefined;
    if (Date.now() > deadline)
      throw new Error(`${testId} did not play ${bySec} s from ${server} (now ${JSON.stringify(s)})`);
    await page.waitForTimeout(200);
  }
}

test('the console follows a failover live, lets a viewer only watch, refuses a bad configuration whole, and recovers from a master restart', {
  timeout: 300_000,
}, async (t) => {
  const fut = new FarmUnderTest(t, 'console-failover', PORTS.master);
  await fut.farm.startSim(PORTS.rtsp, ['c1']);
  await fut.start(config);
  await fut.settled({ c1: 's1' }, 60_000);
  await fut.farm.post('/api/v1/users', { name: 'vera', role: 'viewer', password: 'watches-but-never-acts-1' });

  const admin = await openBrowser({ name: 'console-failover' });
  t.after(() => admin.close());
  const summary = admin.page;
  await consoleLogin(summary, fut.farm.masterUrl, fut.farm.admin.user, fut.farm.admin.password);
  await summary.locator('[data-testid="server-s1"][data-state="up"]').waitFor({ timeout: 30_000 });
  const camera = await admin.context.newPage();
  await camera.goto(`${fut.farm.masterUrl}/cameras/c1`);
  await playsFrom(camera, 'live-c1', 's1', 2, 30_000);
  const failovers = await admin.context.newPage();
  await failovers.goto(`${fut.farm.masterUrl}/failovers`);
  await failovers.getByRole('heading', { name: 'Failover log' }).waitFor();
  // Each step of the log entry, when this page first showed it (the page is never reloaded).
  await failovers.evaluate(() => {
    const seen: Record<string, number> = {};
    (window as unknown as { stepsSeen: Record<string, number> }).stepsSeen = seen;
    new MutationObserver(() => {
      for (const el of document.querySelectorAll<HTMLElement>('[data-step]')) seen[el.dataset.step!] ??= Date.now();
    }).observe(document.body, { subtree: true, childList: true });
  });

  // The service channel as a plain client sees it, from before the failure.
  const sse = await SseClient.open(fut.farm, fut.farm.authHeaders());
  t.after(() => sse.close());
  await sse.next((m) => m.event === 'snapshot', 'the snapshot');
  await fut.judging(START_DELAY_MS);

  // 1. kill -9 of s1: the summary, the log and the live view follow without a reload.
  const killedAt = Date.now();
  await fut.farm.kill('s1');
  await summary.locator('[data-testid="server-s1"][data-state="down"]').waitFor({ timeout: 20_000 });
  const downShownAfter = Date.now() - killedAt;
  await admin.shot('summary-failover');
  await failovers.locator('[data-testid^="failover-"] [data-step="recording"]').waitFor({ timeout: 30_000 });
  const entry = (await fut.failovers()).find((f) => f.server === 's1')!;
  assert.equal(entry.detail.moves[0]?.to, 's2', 'c1 moved to s2');
  const stepsSeen = await failovers.evaluate(
    () => (window as unknown as { stepsSeen: Record<string, number> }).stepsSeen,
  );
  assert.ok(stepsSeen.detect && stepsSeen.recording, `steps shown: ${JSON.stringify(stepsSeen)}`);
  assert.ok(stepsSeen.recording > stepsSeen.detect, 'the steps arrived one after another, as they were committed');
  await summary.locator('[data-testid="server-s2"] [data-testid="camera-c1"][data-recording="recording"]').waitFor();
  await playsFrom(camera, 'live-c1', 's2', 2, 30_000);
  const liveBackAfter = Date.now() - killedAt;
  await camera.locator(`[data-testid="gap"][data-failover="${entry.id}"]`).waitFor({ timeout: 20_000 });
  await camera.locator('[data-testid="gap-failover"]').first().waitFor();
  await camera.screenshot({ path: join(ARTIFACTS, 'console-failover', 'camera-timeline.png'), fullPage: true });
  console.log(JSON.stringify({ downShownAfterMs: downShownAfter, liveBackAfterMs: liveBackAfter }));

  // The same pages fit a phone: nothing wider than its screen.
  for (const page of [summary, camera, failovers]) {
    await page.setViewportSize({ width: 390, height: 844 });
    const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
    assert.ok(overflow <= 1, `${page.url()} is ${overflow} px wider than a phone's screen`);
    await page.setViewportSize({ width: 1366, height: 768 });
  }

  // 2. The channel had it all, in order, and replays exactly what a client missed.
  const down = await sse.next(
    (m) => m.event === 'server' && m.value.id === 's1' && m.value.state === 'down',
    's1 down',
  );
  const steps = sse.messages
    .filter((m) => m.event === 'failover' && m.value.id === entry.id)
    .map((m) => m.value.detail.steps.length);
  assert.ok(steps.length >= 3, `the entry came as it grew: ${steps.join(', ')} steps`);
  assert.deepEqual(
    steps,
    [...steps].sort((a, b) => a - b),
    'never a step less than before',
  );
  const i = sse.messages.indexOf(down);
  const again = await SseClient.open(fut.farm, { ...fut.farm.authHeaders(), 'last-event-id': down.id! });
  t.after(() => again.close());
  const upTo = sse.messages.length;
  await again.next((m) => m.id === sse.messages[upTo - 1].id, 'the replay up to now');
  assert.deepEqual(
    again.messages.slice(0, upTo - i - 1).map((m) => m.id),
    sse.messages.slice(i + 1, upTo).map((m) => m.id),
    'exactly the missed events, in order, no snapshot',
  );
  again.close();

  // 3. A viewer sees the farm and no actions; the API refuses them the actions anyway.
  const viewer = await openBrowser({ name: 'console-viewer' });
  t.after(() => viewer.close());
  await consoleLogin(viewer.page, fut.farm.masterUrl, 'vera', 'watches-but-never-acts-1');
  await viewer.page.locator('[data-testid="server-s2"]').waitFor();
  assert.equal(await viewer.page.locator('[data-testid^="action-"]').count(), 0, 'no action buttons for a viewer');
  assert.equal(await viewer.page.getByRole('link', { name: 'Admin' }).count(), 0, 'no admin page for a viewer');
  const refused = await viewer.page.evaluate(async () => {
    const r = await fetch('/api/v1/servers/s2/drain', { method: 'POST' });
    return r.status;
  });
  assert.equal(refused, 403);
  await viewer.close();

  // 4. A bad configuration: every problem listed, nothing applied.
  const before = await fut.farm.api<unknown>('/api/v1/config');
  const generation = (await fut.farm.api<{ generation: number }>('/api/v1/health')).generation;
  const admin2 = await admin.context.newPage();
  await admin2.goto(`${fut.farm.masterUrl}/admin`);
  await admin2.getByTestId('config').waitFor();
  await admin2
    .getByTestId('config-text')
    .fill(
      [
        'groups: [{ id: 1, policy: nonsense }]',
        'servers:',
        '  - { id: s1, group: 9, host: 127.0.0.1, udpPort: 70000 }',
        'cameras:',
        '  - { id: c1, url: "not a url", server: s404 }',
      ].join('\n'),
    );
  await admin2.getByTestId('config-apply').click();
  const problems = await admin2.locator('[data-testid="config-problems"] li').allTextContents();
  assert.ok(problems.length >= 3, `every problem listed: ${problems.join(' | ')}`);
  assert.deepEqual(await fut.farm.api<unknown>('/api/v1/config'), before, 'the configuration is unchanged');
  assert.equal((await fut.farm.api<{ generation: number }>('/api/v1/health')).generation, generation);
  await admin2.screenshot({ path: join(ARTIFACTS, 'console-failover', 'config-refused.png') });
  await admin2.close();

  // 5. A master restart: the page says it reconnects, then shows the farm again by itself.
  await fut.farm.kill('master', 'SIGTERM');
  await summary.getByTestId('reconnecting').waitFor({ timeout: 20_000 });
  await fut.farm.startMaster(config);
  await summary.getByTestId('reconnecting').waitFor({ state: 'detached', timeout: 30_000 });
  await summary.locator('[data-testid="server-s2"] [data-testid="camera-c1"]').waitFor();
  const old = await SseClient.open(fut.farm, { ...fut.farm.authHeaders(), 'last-event-id': down.id! });
  t.after(() => old.close());
  assert.equal((await old.next(() => true, 'a first message')).event, 'snapshot', "another boot's id: a snapshot");
  old.close();

  // 6. Failback: the copy-back runs under the yellow bar to 100 %, and the bar goes.
  fut.startNode('s1');
  await summary.locator('[data-testid="server-s1"][data-state="up"]').waitFor({ timeout: 30_000 });
  await summary.getByTestId('action-failback-s1').click();
  await summary.getByTestId('confirm').waitFor();
  assert.match((await summary.getByTestId('confirm').textContent()) ?? '', /c1/, 'the confirmation names the camera');
  await summary.getByTestId('confirm-ok').click();
  await summary.getByTestId('confirm-answer').waitFor();
  await summary.getByTestId('confirm-cancel').click();
  await summary.getByTestId('copyback-bar').waitFor({ timeout: 30_000 });
  await admin.shot('copyback-bar');
  await failovers.bringToFront();
  let maxPercent = 0;
  await fut.farm.waitFor(
    async () => {
      for (const p of await failovers
        .locator('[data-testid^="copyback-"][data-percent]')
        .evaluateAll((els) => els.map((e) => Number((e as HTMLElement).dataset.percent))))
        maxPercent = Math.max(maxPercent, p);
      // The bar goes with the job; the log page shows it done at 100 % once the failback's entry
      // says so (a later event: a loaded run sampled 94.8 % last before the bar went).
      return maxPercent >= 99 && !(await summary.getByTestId('copyback-bar').count());
    },
    120_000,
    'the copy-back done at 100 % and the yellow bar gone',
  );
  assert.ok(maxPercent >= 99, `the progress bar reached 100 % (${maxPercent})`);
  await failovers.screenshot({ path: join(ARTIFACTS, 'console-failover', 'copyback-done.png') });
});
