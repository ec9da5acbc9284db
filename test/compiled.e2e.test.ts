import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, readdirSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { LocalFarm, VIGIL_BIN } from '../src/farm/local-farm.ts';
import { newFarmKey } from '../src/lib/farm-key.ts';

const ROOT = join(import.meta.dirname, '..');
const MASTER_PORT = 19280;
const RTSP_PORT = 19284; // not 19254: the CLI test's (the farms run two at a time)
const UDP_PORT = 19285;

/** Every segment file under dir, recursively. */
function segmentFiles(dir: string): string[] {
  let names: string[];
  try {
    names = readdirSync(dir);
  } catch {
    return []; // nothing stored yet
  }
  return names.flatMap((name) => {
    const p = join(dir, name);
    return statSync(p).isDirectory() ? segmentFiles(p) : name.endsWith('.ts') ? [p] : [];
  });
}

test('the compiled build runs a farm: master, simulator and node from dist/ record a camera to disk', {
  timeout: 180_000,
}, async (t) => {
  // Built now from the sources under test: `npm install` built once, but the tree may have changed since.
  execFileSync(join(ROOT, 'node_modules', '.bin', 'tsc'), ['-p', join(ROOT, 'tsconfig.build.json')], {
    stdio: 'inherit',
  });
  assert.match(execFileSync(process.execPath, [VIGIL_BIN.compiled, '--help'], { encoding: 'utf8' }), /Usage: vigil/);

  const dir = mkdtempSync(join(tmpdir(), 'vigil-compiled-'));
  const farm = new LocalFarm({ dir, farmKey: newFarmKey(), masterPort: MASTER_PORT, code: 'compiled' });
  t.after(async () => {
    await farm.close();
    if (process.env.VIGIL_KEEP_TEST_DIR) console.log(`kept ${dir}`);
    else rmSync(dir, { recursive: true, force: true });
  });
  await farm.startSim(RTSP_PORT, ['b1']);
  await farm.startMaster({
    settings: { StatusIntervalMs: 250 },
    groups: [{ id: 1, redundancy: false }],
    servers: [{ id: 's1', group: 1, host: '127.0.0.1', udpPort: UDP_PORT }],
    cameras: [{ id: 'b1', url: `rtsp://127.0.0.1:${RTSP_PORT}/b1`, server: 's1' }],
  });
  farm.startNode('s1');
  for (const [name, pid] of Object.entries(farm.pids())) {
    const argv = readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0');
    assert.equal(argv[1], VIGIL_BIN.compiled, `${name} runs the compiled build`);
  }

  // Footage: segment files on the node's disk, each one inside the master's timeline of the camera.
  const stored = join(dir, 'nodes', 's1', 'storage', 'b1');
  const covered = async () => {
    const files = segmentFiles(stored);
    if (files.length < 3) return false;
    const tl = await farm.api<{ intervals: { startMs: number; endMs: number }[] }>(
      `/api/v1/cameras/b1/timeline?from=${Date.now() - 600_000}&to=${Date.now() + 60_000}`,
    );
    return files.every((f) => {
      const startMs = Number(basename(f).split('_')[0]);
      return tl.intervals.some((i) => i.startMs <= startMs && startMs < i.endMs);
    });
  };
  await farm.waitFor(covered, 60_000, 'three segments of b1 on disk, in the timeline');
  for (const f of segmentFiles(stored)) {
    assert.match(basename(f), /^\d+_s1\.ts$/);
    assert.ok(statSync(f).size > 0, `${f} holds video`);
  }
});
