import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { ServerResponse } from 'node:http';
import { createServer } from 'node:https';
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setImmediate as tick } from 'node:timers/promises';
import { AS, apiHarness } from '../../test/support/api-harness.ts';
import type { FarmConfigInput } from '../config/farm-config.ts';

const farm = (): FarmConfigInput => ({
  settings: { FarmHealthStartDelayMs: 60_000 },
  groups: [{ id: 1 }],
  servers: ['s1', 's2'].map((id, i) => ({ id, group: 1, host: '127.0.0.1', udpPort: 19511 + i })),
  cameras: [{ id: 'c1', url: 'rtsp://127.0.0.1:19599/c1', server: 's1' }],
});

async function until(fn: () => Promise<boolean> | boolean, what: string): Promise<void> {
  for (let i = 0; i < 100_000; i++) {
    if (await fn()) return;
    await tick();
  }
  throw new Error(`never: ${what}`);
}

/**
 * A stand-in recording server: it lists one segment of c1 and, asked for it, never answers (until
 * closed): an export asking for it stays under way, holding its slot, for as long as the test needs.
 */
async function stuckNode(t: { after: (fn: () => Promise<void>) => void }, tls: { key: string; cert: string }) {
  const held: ServerResponse[] = [];
  // Served with a farm certificate of s1, as a real node's API is (the master checks it).
  const server = createServer(tls, (req, res) => {
    const url = new URL(req.url!, 'http://x');
    if (url.pathname === '/node/v1/segments') {
      res.setHeader('content-type', 'application/json');
      res.end(JSON.stringify({ camera: 'c1', segments: [{ id: 7, startMs: 1000, endMs: 2000, bytes: 188 }] }));
    } else held.push(res);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  t.after(async () => {
    for (const res of held) res.destroy();
    server.closeAllConnections();
    await new Promise((r) => server.close(r));
  });
  const { port } = server.address() as { port: number };
  return { url: `https://127.0.0.1:${port}`, asked: () => held.filter((r) => !r.destroyed).length };
}

test('exports are bounded per user and in all (429, nothing written); an aborted one leaves no temp file and is audited 499', async (t) => {
  // This test's own temp folder: exports write theirs under os.tmpdir().
  const tmp = mkdtempSync(join(tmpdir(), 'vigil-export-limits-'));
  const tmpBefore = process.env.TMPDIR;
  process.env.TMPDIR = tmp;
  t.after(() => {
    if (tmpBefore === undefined) delete process.env.TMPDIR;
    else process.env.TMPDIR = tmpBefore;
    rmSync(tmp, { recursive: true, force: true });
  });
  const exportDirs = () => readdirSync(tmp).filter((n) => n.startsWith('vigil-export-')).length;
  const h = await apiHarness(t, farm(), {
    limits: { exportsPerActor: 1, exportsTotal: 2, longPollsTotal: 10, eventStreamsTotal: 5 },
  });
  const node = await stuckNode(t, await h.pki.server('s1'));
  const status = {
    bootId: 'b',
    apiPort: Number(new URL(node.url).port),
    suspects: [],
    cameras: {},
    segments: [{ camera: 'c1', startMs: 1000, endMs: 2000 }],
  };
  assert.equal((await h.inject('POST', '/api/v1/nodes/s1/status', { as: 'server:s1', body: status })).statusCode, 200);
  const base = await h.listen();
  const exportUrl = `${base}/api/v1/cameras/c1/export.mp4?from=0&to=3000`;
  const exportAs = (as: string, signal?: AbortSignal) =>
    fetch(exportUrl, { headers: { [AS]: as }, ...(signal && { signal }) });

  const alice = new AbortController();
  const first = exportAs('user:alice:viewer', alice.signal).catch((err: unknown) => err);
  await until(() => node.asked() === 1, "alice's export fetching its segment");
  const second = await exportAs('user:alice:viewer');
  assert.equal(second.status, 429);
  assert.deepEqual(await second.json(), {
    error: {
      code: 'TOO_MANY_REQUESTS',
      message: 'user:alice has 1 export(s) under way already, the most at once; try again once one has finished',
      details: [],
    },
  });
  const bob = new AbortController();
  const bobs = exportAs('user:bob:viewer', bob.signal).catch((err: unknown) => err);
  await until(() => node.asked() === 2, "bob's export fetching its segment");
  const carol = await exportAs('user:carol:viewer');
  assert.equal(carol.status, 429);
  assert.match(((await carol.json()) as { error: { message: string } }).error.message, /^2 exports are under way/);
  assert.equal(exportDirs(), 2, 'the refused ones wrote nothing; the two under way have their folders');

  alice.abort();
  bob.abort();
  await first;
  await bobs;
  await until(() => exportDirs() === 0, 'the aborted exports removed their temp folders');
  await until(async () => (await h.store.audit({ limit: 10 })).entries.length === 4, 'four exports audited');
  const audit = (await h.store.audit({ limit: 10 })).entries;
  assert.deepEqual(audit.map((e) => [e.actor, e.method, e.route, e.target, e.status]).sort(), [
    ['user:alice', 'GET', '/api/v1/cameras/:id/export.mp4', 'c1', 429],
    ['user:alice', 'GET', '/api/v1/cameras/:id/export.mp4', 'c1', 499],
    ['user:bob', 'GET', '/api/v1/cameras/:id/export.mp4', 'c1', 499],
    ['user:carol', 'GET', '/api/v1/cameras/:id/export.mp4', 'c1', 429],
  ]);
  assert.deepEqual(audit[0].params, { params: { id: 'c1' }, query: { from: '0', to: '3000', stream: 0 } });
  assert.ok(
    audit.every((e) => e.address === '127.0.0.1'),
    'the address of a client gone is known too',
  );

  // Their slots are free again: alice exports once more (and gives up again).
  const again = new AbortController();
  const third = exportAs('user:alice:viewer', again.signal).catch((err: unknown) => err);
  await until(() => node.asked() === 1, "alice's next export under way");
  again.abort();
  await third;
  await until(() => exportDirs() === 0, 'its temp folder removed');
});

test('an export longer than an hour, or a timeline longer than 31 days, is refused naming its bound', async (t) => {
  const h = await apiHarness(t, farm());
  const exp = await h.inject('GET', `/api/v1/cameras/c1/export.mp4?from=0&to=${3_600_001}`);
  assert.equal(exp.statusCode, 400);
  assert.match((exp.json() as { error: { message: string } }).error.message, /^an export covers at most 1 h at once/);
  const day = 86_400_000;
  const tl = await h.inject('GET', `/api/v1/cameras/c1/timeline?from=0&to=${32 * day}`);
  assert.equal(tl.statusCode, 400);
  assert.deepEqual(tl.json(), {
    error: {
      code: 'RANGE_TOO_LONG',
      message:
        'the timeline covers at most 31 days at once; asked 1970-01-01T00:00:00.000Z to 1970-02-02T00:00:00.000Z',
      details: [],
    },
  });
  assert.equal((await h.inject('GET', `/api/v1/cameras/c1/timeline?from=0&to=${31 * day}`)).statusCode, 200);
});
