import { test } from 'node:test';
import assert from 'node:assert/strict';
import { FarmUnderTest } from './support/farm-under-test.ts';
import { consoleLogin, openBrowser } from './support/browser.ts';

// The web console as served by a real master (a separate process, its own TLS): the page loads from
// the master alone, refuses a wrong password as the API words it, logs in, and a console path
// reloads into the console (the client routes it), while an unknown API path stays the API's 404.
const MASTER_PORT = 28580;

test('the master serves the console: login refused, then in; a console path reloads; the API stays the API', async (t) => {
  const f = new FarmUnderTest(t, 'console', MASTER_PORT);
  await f.farm.startMaster({
    groups: [{ id: 1, policy: 'spare' }],
    servers: [{ id: 's1', group: 1, host: '127.0.0.1', udpPort: 28581 }],
    cameras: [],
  });
  const b = await openBrowser({ name: 'console' });
  t.after(() => b.close());
  const { page } = b;
  const outside: string[] = [];
  page.on('request', (r) => {
    if (!r.url().startsWith(f.farm.masterUrl) && !r.url().startsWith('data:') && !r.url().startsWith('blob:'))
      outside.push(r.url());
  });

  await page.goto(f.farm.masterUrl);
  await page.getByTestId('login-user').fill(f.farm.admin.user);
  await page.getByTestId('login-password').fill('not the password');
  await page.getByTestId('login-submit').click();
  const refusal = await page.getByTestId('login-error').textContent();
  assert.match(refusal ?? '', /UNAUTHORIZED|password/i, `the refusal as the API words it: ${refusal}`);

  await consoleLogin(page, f.farm.masterUrl, f.farm.admin.user, f.farm.admin.password);
  assert.match((await page.getByTestId('master').textContent()) ?? '', /leads/);
  await b.shot('logged-in');

  // A console path loads the console (the cookie keeps the session).
  await page.goto(`${f.farm.masterUrl}/failovers`);
  await page.getByTestId('logout').waitFor();
  assert.equal(new URL(page.url()).pathname, '/failovers');
  const api = await page.evaluate(async () => {
    const r = await fetch('/api/v1/no-such-route');
    return { status: r.status, type: r.headers.get('content-type') };
  });
  assert.equal(api.status, 404);
  assert.match(api.type ?? '', /json/);
  assert.deepEqual(outside, [], 'the console fetched nothing from anywhere but its master');

  await page.getByTestId('logout').click();
  await page.getByTestId('login-user').waitFor();
});
