import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { readFileSync, rmSync, truncateSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import Database from 'better-sqlite3';
import { FarmUnderTest } from './support/farm-under-test.ts';
import { runVigil } from './support/run-vigil.ts';
import type { ExportManifest } from '../src/protocol/chain-link.ts';

// Ports of helper E's range (27500-27599).
const PORTS = { master: 27580, rtsp: 27554, udp: 27545 };

/** An export of c1 over [from, to) saved to `file`. */
async function exportTo(fut: FarmUnderTest, from: number, to: number, file: string): Promise<void> {
  const res = await fut.request('GET', `/api/v1/cameras/c1/export.mp4?from=${from}&to=${to}`);
  assert.equal(res.status, 200, await res.clone().text());
  writeFileSync(file, Buffer.from(await res.arrayBuffer()));
}

/** `vigil verify-export` as a user runs it: its exit code and output. */
async function verify(file: string, ca: string, ...more: string[]) {
  const r = await runVigil(['verify-export', file, '--ca', ca, ...more]);
  return { code: r.code, out: r.stdout + r.stderr };
}

test('exports carry the servers signed chains: a sound export verifies, a cut, altered or trimmed one and a segment removed from a server do not', {
  timeout: 180_000,
}, async (t) => {
  const fut = new FarmUnderTest(t, 'chain', PORTS.master);
  const ca = fut.farm.caFile;
  await fut.farm.startSim(PORTS.rtsp, ['c1']);
  await fut.start({
    settings: {
      AliveIntervalMs: 250,
      FarmHealthMissedUdpMs: 2000,
      FarmHealthStartDelayMs: 8000,
      StatusIntervalMs: 250,
    },
    groups: [{ id: 1 }],
    servers: ['s1', 's2'].map((id, i) => ({ id, group: 1, host: '127.0.0.1', udpPort: PORTS.udp + i })),
    cameras: [{ id: 'c1', url: `rtsp://127.0.0.1:${PORTS.rtsp}/c1`, server: 's1', movable: true }],
  });
  await fut.settled({ c1: 's1' }, 60_000);
  // Footage of s1, then (a move, as a failover's) of s2: the export spans both servers.
  await delay(2000);
  const from = Date.now();
  await delay(6000);
  const moved = await fut.request('POST', '/api/v1/cameras/c1/move', { to: 's2' });
  assert.ok(moved.ok, await moved.text());
  await fut.settled({ c1: 's2' });
  await delay(5000);
  const to = Date.now() - 2000;
  await fut.farm.waitFor(
    async () => (await fut.timeline('c1', from, to)).recorded.some((r) => r.server === 's2' && r.endMs >= to),
    15_000,
    "s2's footage reported up to the end of the range",
  );

  const file = join(fut.dir, 'export.mp4');
  await exportTo(fut, from, to, file);
  // The manifest box at the end leaves the MP4 playable.
  const probe = execFileSync('ffprobe', ['-v', 'error', '-show_entries', 'stream=codec_name', '-of', 'csv=p=0', file], {
    encoding: 'utf8',
  });
  assert.equal(probe.trim(), 'h264');
  const sound = await verify(file, ca, '--save-manifest', join(fut.dir, 'manifest.json'));
  t.diagnostic(sound.out);
  assert.equal(sound.code, 0, sound.out);
  assert.match(sound.out, /recorded by s1[\s\S]*recorded by s2/, 'parts: s1 then s2');
  assert.match(sound.out, /verified: the export is what the servers recorded/);
  const manifestFile = join(fut.dir, 'manifest.json');
  const manifest = JSON.parse(readFileSync(manifestFile, 'utf8')) as ExportManifest;
  assert.deepEqual(
    manifest.chains.map((c) => c.server),
    ['s1', 's2'],
  );

  // Cut: bytes off the end (the manifest goes with them); with the manifest kept apart, the size tells.
  const cut = join(fut.dir, 'cut.mp4');
  writeFileSync(cut, readFileSync(file));
  truncateSync(cut, manifest.mp4.bytes - 50_000);
  const cutRun = await verify(cut, ca);
  assert.notEqual(cutRun.code, 0);
  assert.match(cutRun.out, /holds no Vigil manifest.*cut short/);
  const cutApart = await verify(cut, ca, '--manifest', manifestFile);
  assert.notEqual(cutApart.code, 0);
  assert.match(cutApart.out, /the file was cut short/);

  // Altered: one byte of the video changed.
  const altered = join(fut.dir, 'altered.mp4');
  const bytes = readFileSync(file);
  bytes[Math.floor(manifest.mp4.bytes / 2)] ^= 0xff;
  writeFileSync(altered, bytes);
  const alteredRun = await verify(altered, ca);
  assert.notEqual(alteredRun.code, 0);
  assert.match(alteredRun.out, /SHA-256 is not the manifest's: the video was altered/);

  // A part removed from the manifest (s2's): the master's signature no longer holds, and s2's chain names what is gone.
  const trimmed = structuredClone(manifest);
  trimmed.segments = trimmed.segments.filter((s) => s.holder !== 's2');
  const trimmedFile = join(fut.dir, 'trimmed.json');
  writeFileSync(trimmedFile, JSON.stringify(trimmed));
  const trimmedRun = await verify(file, ca, '--manifest', trimmedFile);
  assert.notEqual(trimmedRun.code, 0);
  assert.match(trimmedRun.out, /signature does not verify/);
  assert.match(trimmedRun.out, /server s2 recorded .* not in the export: removed/);

  // A segment of s1 removed from its disk and its index, its link too: a break in s1's chain.
  const db = new Database(join(fut.dir, 'nodes', 's1', 'index.sqlite'));
  try {
    const segs = db
      .prepare<[string, number, number], { id: number; path: string; start_ms: number }>(
        'SELECT id, path, start_ms FROM segments WHERE camera_id = ? AND start_ms > ? AND end_ms < ? ORDER BY start_ms',
      )
      .all('c1', from + 1000, from + 5000);
    assert.ok(segs.length >= 2, `s1 recorded at least two segments there: ${segs.length}`);
    const victim = segs[1];
    const link = db
      .prepare<[number], { seq: number }>('SELECT seq FROM segment_chain WHERE segment_id = ?')
      .get(victim.id);
    assert.ok(link, 'the segment has its link');
    rmSync(join(fut.storageOf('s1'), victim.path));
    db.transaction(() => {
      db.prepare('DELETE FROM segment_copies WHERE segment_id = ?').run(victim.id);
      db.prepare('DELETE FROM segments WHERE id = ?').run(victim.id);
      db.prepare('DELETE FROM segment_chain WHERE segment_id = ?').run(victim.id);
    })();
    const broken = join(fut.dir, 'broken.mp4');
    await exportTo(fut, from, to, broken);
    const brokenRun = await verify(broken, ca);
    t.diagnostic(brokenRun.out);
    assert.notEqual(brokenRun.code, 0);
    assert.match(brokenRun.out, new RegExp(`server s1: link ${link.seq} missing: removed from the chain`));
    assert.match(brokenRun.out, /timeline lists footage there that the export lacks/);
  } finally {
    db.close();
  }
});
