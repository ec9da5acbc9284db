import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Master } from '../master/master.ts';
import { parseFarmConfig } from '../config/farm-config.ts';
import { createLogger } from '../lib/log.ts';
import { legacyFarmToken } from '../../test/support/legacy-farm-token.ts';
import { statusBeforeBody } from '../lib/http/slow-body.ts';
import { Writable } from 'node:stream';
import type { ServerTimeouts } from '../lib/http/server-limits.ts';
import type { ApiLimits } from './limits.ts';
import { LONG_POLL_MS } from './limits.ts';
import { NEXT_BEFORE_HEADER } from './page-query.ts';
import { addTestUsers } from '../auth/test-users.ts';
import { tlsFetch, type TlsFetch } from '../lib/http/tls.ts';
import { enrollOverApi } from '../auth/test-pki.ts';
import { farmClientTls } from '../auth/peer-identity.ts';
import { newFarmKey } from '../lib/farm-key.ts';

const FARM_KEY = newFarmKey();
/** The token once derived from the farm key (nodes' stand-in credential before enrolled certificates): it opens nothing. */
const NODE_TOKEN = legacyFarmToken(FARM_KEY);
/** An admin's API token (set by withMaster). */
let KEY = '';
let VIEWER = '';
/** A GET with the admin's token. */
const get = (url: string, key = KEY) => api(url, { headers: { authorization: `Bearer ${key}` } });
const farm = {
  settings: { FarmHealthStartDelayMs: 60_000 },
  groups: [{ id: 1 }],
  servers: [
    { id: 's1', group: 1, host: '127.0.0.1', udpPort: 19001 },
    { id: 's2', group: 1, host: '127.0.0.1', udpPort: 19002 },
  ],
  cameras: [{ id: 'c1', url: 'rtsp://admin:hunter2@127.0.0.1:18999/c1', server: 's1' }],
};

/** The master under test's API over TLS, trusting its farm CA. */
let api: TlsFetch['fetch'];
let caPem = '';
/** Fetches that closes after the test. */
const opened: TlsFetch[] = [];

async function withMaster(
  fn: (url: string, logLines: Record<string, unknown>[]) => Promise<void>,
  o: { timeouts?: Partial<ServerTimeouts>; limits?: Partial<ApiLimits> } = {},
) {
  const dir = mkdtempSync(join(tmpdir(), 'vigil-api-'));
  const lines: Record<string, unknown>[] = [];
  const sink = new Writable({
    write(chunk, _enc, done) {
      lines.push(JSON.parse(String(chunk)) as Record<string, unknown>);
      done();
    },
  });
  const store = join(dir, 'farm.sqlite');
  ({ ada: KEY, vera: VIEWER } = await addTestUsers(store, { ada: 'admin', vera: 'viewer' }));
  const master = new Master({
    store,
    host: '127.0.0.1',
    port: 0,
    farmKey: Buffer.from(FARM_KEY),
    pkiDir: join(dir, 'pki'),
    config: parseFarmConfig(farm).config,
    log: createLogger('test', 'info', sink),
    ...o,
  });
  try {
    await master.start();
    caPem = master.ca!.caPem;
    const http = tlsFetch({ ca: caPem });
    opened.push(http);
    api = http.fetch;
    await fn(master.url, lines);
  } finally {
    await Promise.all(opened.splice(0).map((h) => h.close()));
    await master.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

/** Enrolls server `id` through the API and gives a fetch that presents its certificate. */
async function asServer(url: string, id: string): Promise<TlsFetch['fetch']> {
  const identity = await enrollOverApi(url, caPem, id, { authorization: `Bearer ${KEY}` });
  const http = tlsFetch(farmClientTls(identity, 'master'));
  opened.push(http);
  return http.fetch;
}

const put = (url: string, body: unknown, key = KEY) =>
  api(`${url}/api/v1/config`, {
    method: 'PUT',
    body: JSON.stringify(body),
    headers: { 'content-type': 'application/json', authorization: `Bearer ${key}` },
  });

test('writes and the node channel refuse a request without credentials before reading its body', () =>
  withMaster(async (url) => {
    for (const [method, path] of [
      ['PUT', '/api/v1/config'],
      ['POST', '/api/v1/nodes/s1/status'],
      ['POST', '/api/v1/servers/s1/failover'],
    ]) {
      const r = await statusBeforeBody(`${url}${path}`, method, { authorization: 'Bearer wrong' }, 6 * 1024 * 1024, {
        ca: caPem,
      });
      assert.equal(r.status, 401, path);
      assert.ok(r.ms < 2000, `${path} answered after ${r.ms} ms`);
    }
  }));

test('a configuration with problems is refused whole, every problem named, the farm untouched', () =>
  withMaster(async (url) => {
    const before = await (await get(`${url}/api/v1/config`)).json();
    const bad = structuredClone(farm) as any;
    bad.servers.push({ id: 's3', group: 1, host: '127.0.0.1', udpPort: 19003, extra: true });
    const res = await put(url, bad);
    assert.equal(res.status, 400);
    const body = (await res.json()) as { error: { code: string; message: string; details: string[] } };
    assert.equal(body.error.code, 'CONFIG_INVALID');
    assert.match(body.error.message, /servers\/2\/extra/);
    const worse = structuredClone(farm) as any;
    worse.cameras.push({ id: 'c1', url: 'ftp://x', server: 's9' });
    const r2 = (await (await put(url, worse)).json()) as { error: { details: string[] } };
    assert.equal(r2.error.details.length, 3, JSON.stringify(r2.error.details));
    assert.deepEqual(await (await get(`${url}/api/v1/config`)).json(), before, 'nothing applied');
  }));

test("config changes need an admin's credential; the node channel a server's own enrolled certificate; the farm key opens nothing", () =>
  withMaster(async (url) => {
    assert.equal((await put(url, farm, 'wrong')).status, 401);
    assert.equal((await put(url, farm, FARM_KEY)).status, 401, 'the farm key is no credential');
    assert.equal((await put(url, farm, NODE_TOKEN)).status, 401, 'nor the token once derived from it');
    assert.equal((await put(url, farm, VIEWER)).status, 403, 'a viewer may not');
    assert.equal((await get(`${url}/api/v1/cameras`, NODE_TOKEN)).status, 401);
    assert.equal((await api(`${url}/api/v1/nodes/s1/assignment?after=999999`)).status, 401);
    assert.equal((await get(`${url}/api/v1/nodes/s1/assignment?after=-1`, KEY)).status, 403, 'a person is no server');
    assert.equal((await get(`${url}/api/v1/nodes/s1/assignment?after=-1`, NODE_TOKEN)).status, 401);
    const auth = { authorization: `Bearer ${KEY}` };
    const status = { bootId: 'b', suspects: ['s2'], cameras: {}, segments: [] };
    const post = (f: TlsFetch['fetch'], id: string, headers: Record<string, string> = {}) =>
      f(`${url}/api/v1/nodes/${id}/status`, {
        method: 'POST',
        body: JSON.stringify(status),
        headers: { 'content-type': 'application/json', ...headers },
      });
    assert.equal((await post(api, 's1', auth)).status, 403, "not even an admin's token speaks for a server");
    const s2 = await asServer(url, 's2');
    const forged = await post(s2, 's1');
    assert.equal(forged.status, 403, "s2's certificate does not speak for s1");
    assert.equal(((await forged.json()) as { error: { code: string } }).error.code, 'FORBIDDEN');
    assert.equal((await s2(`${url}/api/v1/nodes/s1/assignment?after=999999`)).status, 403);
    assert.equal((await post(s2, 's2')).status, 200, 'its own status is taken');
    // Enrolled again, s2 has a new certificate: the old one stops working.
    const again = await asServer(url, 's2');
    assert.equal((await post(s2, 's2')).status, 401, 'the replaced certificate is refused');
    assert.equal((await post(again, 's2')).status, 200);
    const ok = (await (await put(url, farm)).json()) as { warnings: string[] };
    assert.deepEqual(ok.warnings, []);
  }));

test('enrollment: a join token for a configured server only, used once, naming the farm CA; the CA is public', () =>
  withMaster(async (url) => {
    const auth = { authorization: `Bearer ${KEY}` };
    assert.equal((await api(`${url}/api/v1/servers/s1/enroll`, { method: 'POST' })).status, 401, 'an admin only');
    assert.equal((await api(`${url}/api/v1/servers/s9/enroll`, { method: 'POST', headers: auth })).status, 404);
    const ca = await api(`${url}/api/v1/ca.pem`);
    assert.equal(await ca.text(), caPem);
    const invite = (await (await api(`${url}/api/v1/servers/s1/enroll`, { method: 'POST', headers: auth })).json()) as {
      joinToken: string;
      expiresAt: number;
    };
    assert.match(invite.joinToken, /^vj1_[A-Za-z0-9_-]{43}_[0-9a-f]{64}$/);
    assert.ok(invite.expiresAt > Date.now() + 3_500_000 && invite.expiresAt <= Date.now() + 3_600_000);
    const { csrPem, newKeyPair } = await import('../auth/x509.ts');
    const csr = await csrPem(await newKeyPair(), 's1');
    const enroll = (body: object) =>
      api(`${url}/api/v1/enroll`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(body),
      });
    assert.equal(
      (await enroll({ server: 's2', joinToken: invite.joinToken, csr })).status,
      401,
      "another server's token",
    );
    assert.equal((await enroll({ server: 's1', joinToken: invite.joinToken, csr: 'x' })).status, 400, 'a bad CSR');
    const ok = await enroll({ server: 's1', joinToken: invite.joinToken, csr });
    assert.equal(ok.status, 200, 'the bad CSR did not spend the token');
    const got = (await ok.json()) as { certificate: string; ca: string };
    assert.equal(got.ca, caPem);
    assert.match(got.certificate, /^-----BEGIN CERTIFICATE-----/);
    const twice = await enroll({ server: 's1', joinToken: invite.joinToken, csr });
    assert.equal(twice.status, 401, 'used once');
    assert.match(((await twice.json()) as { error: { message: string } }).error.message, /vigil server enroll/);
  }));

test('camera credentials never appear in an API answer', () =>
  withMaster(async (url) => {
    for (const path of ['/api/v1/cameras', '/api/v1/config', '/api/v1/servers']) {
      const text = await (await get(url + path)).text();
      assert.ok(!text.includes('hunter2'), `${path} leaks the password`);
    }
    const cams = (await (await get(`${url}/api/v1/cameras`)).json()) as { url: string }[];
    assert.equal(cams[0].url, 'rtsp://admin:***@127.0.0.1:18999/c1');
  }));

test('the OpenAPI document comes from the same schemas', () =>
  withMaster(async (url) => {
    const doc = (await (await api(`${url}/api/v1/openapi.json`)).json()) as {
      openapi: string;
      paths: Record<string, Record<string, any>>;
    };
    assert.match(doc.openapi, /^3\./);
    for (const p of [
      '/api/v1/servers',
      '/api/v1/cameras',
      '/api/v1/failovers',
      '/api/v1/cameras/{id}/timeline',
      '/api/v1/config',
      '/api/v1/login',
      '/api/v1/setup',
      '/api/v1/users/{name}',
      '/api/v1/tokens',
    ])
      assert.ok(doc.paths[p], `${p} documented`);
    assert.deepEqual(Object.keys((doc as any).components.securitySchemes).sort(), ['bearer', 'session']);
    const body = doc.paths['/api/v1/config'].put.requestBody.content['application/json'].schema;
    assert.deepEqual(Object.keys(body.properties).sort(), ['cameras', 'groups', 'servers', 'settings']);
    assert.equal(body.additionalProperties, false);
  }));

test('a node gets its assignment; a timeline outside the recorded range is empty, not an error', () =>
  withMaster(async (url) => {
    const s1 = await asServer(url, 's1');
    const a = (await (await s1(`${url}/api/v1/nodes/s1/assignment?after=-1`)).json()) as {
      cameras: { id: string }[];
      buddies: { id: string; port: number }[];
    };
    assert.deepEqual(
      a.cameras.map((c) => c.id),
      ['c1'],
    );
    assert.deepEqual(a.buddies, [{ id: 's2', host: '127.0.0.1', port: 19002 }]);
    const status = {
      bootId: 'b1',
      suspects: [],
      cameras: { c1: { state: 'recording' } },
      segments: [
        { camera: 'c1', startMs: 1000, endMs: 2000 },
        { camera: 'c1', startMs: 2000, endMs: 3000 },
      ],
    };
    const r = await s1(`${url}/api/v1/nodes/s1/status`, {
      method: 'POST',
      body: JSON.stringify(status),
      headers: { 'content-type': 'application/json' },
    });
    assert.equal(r.status, 200);
    const tl = (await (await get(`${url}/api/v1/cameras/c1/timeline?from=0&to=10000`)).json()) as {
      intervals: unknown[];
    };
    assert.deepEqual(tl.intervals, [{ startMs: 1000, endMs: 3000, servers: ['s1'] }]);
    const empty = (await (await get(`${url}/api/v1/cameras/c1/timeline?from=50000&to=60000`)).json()) as {
      intervals: unknown[];
      gaps: unknown[];
    };
    assert.deepEqual([empty.intervals, empty.gaps], [[], []]);
    assert.equal((await get(`${url}/api/v1/cameras/nope/timeline`)).status, 404);
    assert.equal((await get(`${url}/api/v1/cameras/c1/timeline?from=yesterday`)).status, 400);
  }));

test('a manual failover needs the token, names a known server with cameras, and moves them to the redundant server', () =>
  withMaster(async (url) => {
    const post = (id: string, key = KEY) =>
      api(`${url}/api/v1/servers/${id}/failover`, { method: 'POST', headers: { authorization: `Bearer ${key}` } });
    assert.equal((await post('s1', 'wrong')).status, 401);
    assert.equal((await post('s1', VIEWER)).status, 403, "a viewer's failover is refused");
    assert.equal((await post('s1', NODE_TOKEN)).status, 401);
    assert.equal((await post('nope')).status, 404);
    assert.equal((await post('s2')).status, 409, 's2 holds no cameras');
    const res = await post('s1');
    assert.equal(res.status, 200);
    const fo = (await res.json()) as {
      server: string;
      trigger: string;
      status: string;
      detail: { target: string; moves: { camera: string; to: string }[] };
    };
    assert.deepEqual([fo.server, fo.trigger, fo.status, fo.detail.target], ['s1', 'manual', 'running', 's2']);
    assert.deepEqual(
      fo.detail.moves.map((m) => [m.camera, m.to]),
      [['c1', 's2']],
    );
    const cams = (await (await get(`${url}/api/v1/cameras`)).json()) as { id: string; currentServer: string }[];
    assert.equal(cams[0].currentServer, 's2');
    assert.equal((await post('s1')).status, 409, 'down already');
  }));

test('drain, resume and move answer with their failover log entry; bad moves are refused with every reason', () =>
  withMaster(async (url) => {
    const post = (path: string, body?: object) =>
      api(`${url}/api/v1${path}`, {
        method: 'POST',
        headers: { authorization: `Bearer ${KEY}`, ...(body && { 'content-type': 'application/json' }) },
        ...(body && { body: JSON.stringify(body) }),
      });
    const drained = (await (await post('/servers/s1/drain')).json()) as {
      trigger: string;
      status: string;
      detail: { planned: boolean; moves: { camera: string; to: string; mode: string }[] };
    };
    assert.deepEqual([drained.trigger, drained.status, drained.detail.planned], ['drain', 'running', true]);
    assert.deepEqual(drained.detail.moves, [{ camera: 'c1', from: 's1', to: 's2', mode: 'record' }]);
    const servers = (await (await get(`${url}/api/v1/servers`)).json()) as { id: string; maintenance: boolean }[];
    assert.equal(servers.find((s) => s.id === 's1')!.maintenance, true);
    const cams = (await (await get(`${url}/api/v1/cameras`)).json()) as {
      id: string;
      currentServer: string;
      handover: { to: string } | null;
    }[];
    assert.deepEqual([cams[0].currentServer, cams[0].handover?.to], ['s1', 's2'], 's1 records until s2 delivers');
    assert.equal((await post('/servers/s1/drain')).status, 409);
    const move = await post('/cameras/c1/move', { to: 'nope' });
    assert.equal(move.status, 404);
    assert.match(((await move.json()) as { error: { message: string } }).error.message, /no server nope/);
    assert.match(
      ((await (await post('/cameras/c1/move', { to: 's2' })).json()) as { error: { message: string } }).error.message,
      /handed over already/,
    );
    assert.equal((await post('/servers/s2/resume')).status, 409, 's2 is not in maintenance');
    const resumed = await post('/servers/s1/resume');
    assert.equal(resumed.status, 200);
  }));

test('a client that sends a body slowly is cut at the request timeout (408), also with the token', () =>
  withMaster(
    async (url) => {
      const r = await statusBeforeBody(`${url}/api/v1/config`, 'PUT', { authorization: `Bearer ${KEY}` }, 1024 * 1024, {
        ca: caPem,
      });
      assert.equal(r.status, 408);
      assert.equal((JSON.parse(r.body) as { error: { code: string } }).error.code, 'REQUEST_TIMEOUT');
    },
    { timeouts: { requestMs: 500, headersMs: 400, checkEveryMs: 50 } },
  ));

test('bodies are bounded per route: a few KiB for an action, megabytes for a configuration', () =>
  withMaster(async (url) => {
    const big = await api(`${url}/api/v1/cameras/c1/move`, {
      method: 'POST',
      body: JSON.stringify({ to: 's2', pad: 'x'.repeat(8 * 1024) }),
      headers: { authorization: `Bearer ${KEY}`, 'content-type': 'application/json' },
    });
    assert.equal(big.status, 413);
    assert.equal(((await big.json()) as { error: { code: string } }).error.code, 'BODY_TOO_LARGE');
    // 300 cameras: some 30 KiB of configuration, over the default bound of other routes.
    const many = structuredClone(farm);
    for (let i = 0; i < 300; i++)
      many.cameras.push({
        id: `cam${i}`,
        url: `rtsp://127.0.0.1:18999/a-rather-long-path/of-camera/${i}`,
        server: 's2',
      });
    const body = JSON.stringify(many);
    assert.ok(body.length > 16 * 1024, `${body.length} characters`);
    const res = await put(url, many);
    assert.equal(res.status, 200, await res.text());
  }));

test('applying a configuration is logged at info with its actor and what changed', () =>
  withMaster(async (url, lines) => {
    const next = structuredClone(farm);
    next.cameras.push({ id: 'c2', url: 'rtsp://u:pw@127.0.0.1:18999/c2', server: 's2' });
    assert.equal((await put(url, next)).status, 200);
    const applied = lines.filter((l) => l.msg === 'configuration applied');
    assert.deepEqual(
      applied.map((l) => [l.level, l.actor, l.summary]),
      [
        [
          30,
          'the configuration file given at start',
          'groups +1 −0 ~0, servers +2 −0 ~0, cameras +1 −0 ~0, settings ~1 (FarmHealthStartDelayMs)',
        ],
        [30, 'token:ada/test', 'groups +0 −0 ~0, servers +0 −0 ~0, cameras +1 −0 ~0, settings ~0'],
      ],
    );
  }));

test('the failover log is read in pages: newest first, each oldest first, a cursor in a header', () =>
  withMaster(async (url) => {
    const post = (path: string) =>
      api(`${url}/api/v1${path}`, { method: 'POST', headers: { authorization: `Bearer ${KEY}` } });
    assert.equal((await post('/servers/s1/drain')).status, 200);
    assert.equal((await post('/servers/s1/failover')).status, 200);
    const all = (await (await get(`${url}/api/v1/failovers`)).json()) as { id: number; trigger: string }[];
    assert.deepEqual(
      all.map((f) => f.trigger),
      ['drain', 'manual'],
    );
    const newest = await get(`${url}/api/v1/failovers?limit=1`);
    assert.deepEqual(
      ((await newest.json()) as { trigger: string }[]).map((f) => f.trigger),
      ['manual'],
    );
    const before = newest.headers.get(NEXT_BEFORE_HEADER);
    assert.equal(before, String(all[1].id));
    const older = await get(`${url}/api/v1/failovers?limit=1&before=${before}`);
    assert.deepEqual(
      ((await older.json()) as { trigger: string }[]).map((f) => f.trigger),
      ['drain'],
    );
    assert.equal(older.headers.get(NEXT_BEFORE_HEADER), null);
    const tooMany = await get(`${url}/api/v1/failovers?limit=1001`);
    assert.equal(tooMany.status, 400);
    assert.match(((await tooMany.json()) as { error: { message: string } }).error.message, /limit must be <= 1000/);
  }));

test("a server's second long poll ends its first; the farm's long polls are bounded; an unknown server waits for nothing", () =>
  withMaster(
    async (url) => {
      const as = { s1: await asServer(url, 's1'), s2: await asServer(url, 's2') };
      const gen = ((await (await api(`${url}/api/v1/health`)).json()) as { generation: number }).generation;
      const poll = (id: 's1' | 's2', channel: string = id) =>
        as[id](`${url}/api/v1/nodes/${channel}/assignment?after=${gen}`);
      assert.equal((await poll('s1', 'nope')).status, 403, "no server's certificate speaks for an unknown one");
      const t0 = Date.now();
      const first = poll('s1');
      // The first waits (nothing changes); s2 finds the one place taken.
      const refused = await poll('s2');
      assert.equal(refused.status, 429);
      assert.match(((await refused.json()) as { error: { message: string } }).error.message, /at most 1 in all/);
      const second = poll('s1');
      const ended = await first;
      assert.equal(ended.status, 200, 'the first answers with the assignment as it is');
      assert.ok(Date.now() - t0 < LONG_POLL_MS, 'ended by the second, not by its own wait');
      assert.equal((await poll('s2')).status, 429, "s1's second poll holds the place");
      // A change ends the second poll at once.
      assert.equal((await put(url, farm)).status, 200);
      assert.equal((await second).status, 200);
    },
    { limits: { longPollsTotal: 1 } },
  ));
