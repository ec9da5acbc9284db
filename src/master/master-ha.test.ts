import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import { Master } from './master.ts';
import { createLogger } from '../lib/log.ts';
import { addTestUsers } from '../auth/test-users.ts';
import { request as httpsRequest } from 'node:https';
import { tlsFetch } from '../lib/http/tls.ts';
import { Store } from '../store/store.ts';
import { FORWARDED_HEADER } from './standby-gate.ts';
import { newFarmKey } from '../lib/farm-key.ts';
import { testDbLocation } from '../store/test-db.ts';

// Masters as the CLI runs them, in this process: the lease, the standby's gate, the SQLite refusal.
const FARM_KEY = Buffer.from(newFarmKey());
const farm = {
  settings: { FarmHealthStartDelayMs: 60_000 },
  groups: [{ id: 1 }],
  servers: [{ id: 's1', group: 1, host: '127.0.0.1', udpPort: 19121 }],
  cameras: [{ id: 'c1', url: 'rtsp://127.0.0.1:18998/c1', server: 's1' }],
};
const LEASE = { leaseMs: 4000, renewMs: 300, marginMs: 500 };

function master(store: string, dir: string, id: string, port: number, lease = LEASE): Master {
  return new Master({
    store,
    id,
    host: '127.0.0.1',
    port,
    farmKey: FARM_KEY,
    pkiDir: join(dir, 'pki'), // one farm CA for both: the servers trust one
    config: farm,
    lease,
    log: createLogger('test', 'silent'),
  });
}

async function until(what: string, fn: () => boolean | Promise<boolean>, ms = 10_000): Promise<void> {
  const end = Date.now() + ms;
  while (!(await fn())) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await delay(20);
  }
}

test('a second master on a SQLite store is refused at start, naming the one that runs; once it stops, one starts at once', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'vigil-ha-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const store = join(dir, 'farm.sqlite');
  // A long lease: the second's check watches for the first's renewal, which a stall must not miss.
  const long = { leaseMs: 6000, renewMs: 500, marginMs: 1000 };
  const first = master(store, dir, 'm1', 0, long);
  await first.start();
  try {
    const second = master(store, dir, 'm2', 0, long);
    // Started after all (its check missed the first's renewal), it is closed, or the file never ends.
    const refused = second.start().then(() => second.close());
    await assert.rejects(refused, (err: Error & { code?: string }) => {
      assert.equal(err.code, 'STORE_IN_USE');
      assert.match(err.message, /in use by master m1 .*PostgreSQL/);
      return true;
    });
  } finally {
    await first.close();
  }
  const third = master(store, dir, 'm3', 0, long);
  const t0 = Date.now();
  await third.start();
  assert.ok(Date.now() - t0 < long.leaseMs, 'the lease was given up, not left to lapse');
  assert.equal(third.info().leader, true);
  await third.close();
});

test('two masters started at the same instant on one SQLite file: one leads, the other is refused', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'vigil-ha-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const store = join(dir, 'farm.sqlite');
  const long = { leaseMs: 6000, renewMs: 500, marginMs: 1000 };
  // The farm exists (store and CA), as when a site restarts both machines together.
  const once = master(store, dir, 'm0', 0, long);
  await once.start();
  await once.close();
  const both = [master(store, dir, 'm1', 0, long), master(store, dir, 'm2', 0, long)];
  const started = await Promise.allSettled(both.map((m) => m.start()));
  try {
    const ran = both.filter((_, i) => started[i].status === 'fulfilled');
    const refused = started.flatMap((r) => (r.status === 'rejected' ? [r.reason as Error & { code?: string }] : []));
    assert.equal(ran.length, 1, `one of the two runs: ${refused.map((e) => e.message).join('; ')}`);
    assert.equal(ran[0].info().leader, true, 'and leads');
    assert.equal(refused[0].code, 'STORE_IN_USE');
    assert.match(refused[0].message, new RegExp(`in use by master ${ran[0].info().id} `));
  } finally {
    await Promise.allSettled(both.map((m) => m.close()));
  }
});

test('PostgreSQL: one leads, the other stands by, forwards people and turns servers to the leader; it takes over when the leader stops', {
  skip: !process.env.VIGIL_DB && 'needs VIGIL_DB=postgres://…',
}, async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'vigil-ha-'));
  const { location, drop } = await testDbLocation();
  t.after(async () => {
    await drop();
    rmSync(dir, { recursive: true, force: true });
  });
  const { viewer } = await addTestUsers(location, { viewer: 'viewer' });
  const m1 = master(location, dir, 'm1', 0);
  const m2 = master(location, dir, 'm2', 0);
  await m1.start();
  t.after(() => m1.close());
  await m2.start();
  t.after(() => m2.close());
  assert.equal(m1.info().leader, true);
  const term = m1.info().term;
  assert.equal(m2.info().leader, false);
  const http = tlsFetch({ ca: m1.ca!.caPem });
  t.after(() => http.close());
  const get = (m: Master, path: string) => http.fetch(m.url + path, { headers: { authorization: `Bearer ${viewer}` } });

  // The standby says who it is and who leads, and lists both masters.
  await until('the standby to see the leader', () => m2.info().leaderUrl === m1.url);
  const info = (await (await get(m2, '/api/v1/master')).json()) as Record<string, unknown> & {
    masters: { id: string }[];
  };
  assert.equal(info.id, 'm2');
  assert.equal(info.leader, false);
  assert.equal(info.leaderUrl, m1.url);
  assert.equal(info.term, term);
  // A standby answers its own health (LocalFarm waits on it), before it has read any farm.
  const health = await get(m2, '/api/v1/health');
  assert.equal(health.status, 200);
  assert.deepEqual(await health.json(), { ok: true, generation: 0 });
  await until('both masters listed', async () => {
    const m = (await (await get(m2, '/api/v1/master')).json()) as { masters: { id: string }[] };
    return m.masters.map((x) => x.id).join() === 'm1,m2';
  });
  // A person's read is the leader's answer (forwarded, credentials and all); so is a refusal.
  const servers = await get(m2, '/api/v1/servers');
  assert.equal(servers.status, 200);
  assert.deepEqual(
    ((await servers.json()) as { id: string }[]).map((s) => s.id),
    ['s1'],
  );
  const failover = await http.fetch(`${m2.url}/api/v1/servers/s1/failover`, {
    method: 'POST',
    headers: { authorization: `Bearer ${viewer}` },
  });
  assert.equal(failover.status, 403, 'the leader refuses a viewer, through the standby');
  await failover.arrayBuffer();
  // The leader's audit names the person's address, as the standby saw it (127.0.0.2 here), and
  // believes no x-forwarded-for a client sends itself.
  const from2 = (m: Master) =>
    new Promise<number>((resolve, reject) => {
      const req = httpsRequest(
        `${m.url}/api/v1/servers/s1/failover`,
        {
          method: 'POST',
          ca: m1.ca!.caPem,
          localAddress: '127.0.0.2',
          headers: { authorization: `Bearer ${viewer}`, 'x-forwarded-for': '203.0.113.9' },
        },
        (res) => {
          res.resume();
          resolve(res.statusCode ?? 0);
        },
      );
      req.on('error', reject);
      req.end();
    });
  assert.equal(await from2(m2), 403);
  assert.equal(await from2(m1), 403);
  const reader = await Store.open(location);
  t.after(() => reader.close());
  await until('both refusals audited', async () => {
    const items = (await reader.audit({ limit: 20 })).entries.filter((e) => e.route.endsWith('/failover'));
    return items.length === 3;
  });
  const audited = (await reader.audit({ limit: 20 })).entries.filter((e) => e.route.endsWith('/failover'));
  assert.deepEqual(
    audited.map((e) => e.address),
    ['127.0.0.1', '127.0.0.2', '127.0.0.2'],
    'one entry per request, by the leader only',
  );
  // A request a master forwarded already is not forwarded again by a standby (two stale views never loop).
  const looped = await http.fetch(`${m2.url}/api/v1/servers`, {
    headers: { authorization: `Bearer ${viewer}`, [FORWARDED_HEADER]: 'm3' },
  });
  assert.equal(looped.status, 503);
  assert.equal(((await looped.json()) as { error: { code: string } }).error.code, 'NOT_LEADER');

  // A server is told to go to the leader (it is known there by its own certificate).
  const channel = await http.fetch(`${m2.url}/api/v1/nodes/s1/status`, { method: 'POST' });
  assert.equal(channel.status, 503);
  const body = (await channel.json()) as { error: { code: string; details: { leader: unknown }[] } };
  assert.equal(body.error.code, 'NOT_LEADER');
  assert.deepEqual(body.error.details[0].leader, { id: 'm1', url: m1.url, term });

  // The leader stops: it gives the lease up, and the standby leads under the next term.
  const t0 = Date.now();
  await m1.close();
  await until('the standby to lead', () => m2.info().leader);
  assert.ok(Date.now() - t0 < LEASE.leaseMs, `took over in ${Date.now() - t0} ms (a lease given up is not waited for)`);
  assert.equal(m2.info().term, term + 1);
  const after = await get(m2, '/api/v1/servers');
  assert.equal(after.status, 200, 'it answers itself now');
  await after.arrayBuffer();
});
