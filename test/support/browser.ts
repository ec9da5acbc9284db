import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium, type BrowserContext, type Page } from 'playwright-core';

/** Debian's chromium package (`apt-get install chromium`; .ci/run installs it): never a downloaded browser. */
export const CHROMIUM = process.env.VIGIL_CHROMIUM ?? '/usr/bin/chromium';

/**
 * The flags a headless Chromium needs here: no sandbox (root), no GPU, and nothing that dials out
 * (background networking, component updates, first-run pages, sync).
 */
export const CHROMIUM_FLAGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-background-networking',
  '--disable-component-update',
  '--no-first-run',
  '--disable-sync',
  // Video starts without a click in the tests (a console's live views autoplay muted anyway).
  '--autoplay-policy=no-user-gesture-required',
];

/** Where the browser tests keep their screenshots (CI keeps the folder; gitignored). */
export const ARTIFACTS = new URL('../../test-artifacts/', import.meta.url).pathname;

/** A browser of a test: its page, screenshots into test-artifacts/<name>/, and its close. */
export interface TestBrowser {
  page: Page;
  context: BrowserContext;
  /** Saves a screenshot of the page as test-artifacts/<name>/<shot>.png; returns its path. */
  shot(shot: string): Promise<string>;
  /** Closes the browser and removes its profile folder. */
  close(): Promise<void>;
}

/**
 * Starts Chromium with a fresh profile (its own --user-data-dir, removed at close), one page at
 * 1366×768 (the laptop the console must fit), trusting any certificate: the farm CA is the test's
 * own and the page talks to the master it made. Console messages and page errors go to stderr, so
 * a failing test shows what the page said.
 */
export async function openBrowser(o: {
  name: string;
  viewport?: { width: number; height: number };
}): Promise<TestBrowser> {
  const profile = mkdtempSync(join(tmpdir(), 'vigil-chromium-'));
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM,
    headless: true,
    args: CHROMIUM_FLAGS,
    ignoreHTTPSErrors: true,
    viewport: o.viewport ?? { width: 1366, height: 768 },
  });
  const page = context.pages()[0] ?? (await context.newPage());
  page.on('pageerror', (err) => process.stderr.write(`[${o.name} page error] ${err.message}\n`));
  page.on('console', (m) => {
    if (m.type() === 'error' || m.type() === 'warning')
      process.stderr.write(`[${o.name} console.${m.type()}] ${m.text()}\n`);
  });
  const dir = join(ARTIFACTS, o.name);
  mkdirSync(dir, { recursive: true });
  let closed = false;
  return {
    page,
    context,
    async shot(shot) {
      const path = join(dir, `${shot}.png`);
      await page.screenshot({ path });
      return path;
    },
    async close() {
      if (closed) return;
      closed = true;
      await context.close().catch(() => undefined);
      rmSync(profile, { recursive: true, force: true });
    },
  };
}

/** Opens the console at `masterUrl` and logs in through its login form; resolves once the shell shows. */
export async function consoleLogin(page: Page, masterUrl: string, user: string, password: string): Promise<void> {
  await page.goto(masterUrl);
  await page.getByTestId('login-user').fill(user);
  await page.getByTestId('login-password').fill(password);
  await page.getByTestId('login-submit').click();
  await page.getByTestId('logout').waitFor({ timeout: 15_000 });
}
