// Copy-back throughput against `cp` on the same files, measured in one run: a source server's
// storage holds `segments` files of `bytes` each (indexed, served by its real NodeApi over HTTP);
// `cp -r` copies them to a scratch dir first, then a CopyBack job (no rate limit) brings them into
// the home server's storage, each verified by sha256 and released at the source.
import { randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { spawnSync } from 'node:child_process';
import { setTimeout as delay } from 'node:timers/promises';
import { CopyBack, indexLocator } from '../src/node/copy-back.ts';
import { NodeApi } from '../src/node/node-api.ts';
import { LocalIndex } from '../src/recorder/local-index.ts';
import { segmentRelPath } from '../src/recorder/layout.ts';
import { singlePathSink } from '../src/recorder/test-sink.ts';
import { farmKeys } from '../src/lib/farm-keys.ts';
import { createLogger } from '../src/lib/log.ts';

export async function measureCopyBack(o: { segments: number; bytes: number }): Promise<{ copyback_mb_s: number; cp_mb_s: number; copyback_mb: number }> {
  const base = mkdtempSync(join(tmpdir(), 'vigil-bench-copyback-'));
  const log = createLogger('bench', process.env.BENCH_LOG ?? 'silent');
  const token = farmKeys(Buffer.from('bench-copyback')).api;
  const servers: { index: LocalIndex; api: NodeApi; paths: { close(): Promise<void> } }[] = [];
  try {
    const server = async (name: string) => {
      const root = join(base, name, 'storage');
      mkdirSync(root, { recursive: true });
      const index = new LocalIndex(join(base, name, 'index.sqlite'));
      const { sink, paths } = await singlePathSink(root, name, index, log);
      const api = new NodeApi({ host: '127.0.0.1', port: 0, roots: () => [root], index, apiToken: token, log });
      await api.start();
      servers.push({ index, api, paths });
      return { root, index, sink, api };
    };
    const src = await server('src');
    const home = await server('home');
    const t0 = Date.UTC(2026, 0, 1);
    for (let i = 0; i < o.segments; i++) {
      const rel = segmentRelPath('cam', t0 + i * 1000, 'src');
      const file = join(src.root, rel);
      mkdirSync(dirname(file), { recursive: true });
      writeFileSync(file, randomBytes(o.bytes));
      src.index.addStored({ cameraId: 'cam', startMs: t0 + i * 1000, endMs: t0 + (i + 1) * 1000, path: rel, bytes: o.bytes }, [src.root]);
    }
    spawnSync('sync');
    const mb = (o.segments * o.bytes) / 1e6;

    let t = performance.now();
    const cp = spawnSync('cp', ['-r', join(src.root, 'cam'), join(base, 'cp-dest')]);
    if (cp.status !== 0) throw new Error(`cp failed: ${cp.stderr}`);
    const cpS = (performance.now() - t) / 1000;

    const copyBack = new CopyBack({
      dataDir: join(base, 'home'),
      stagingDir: join(base, 'home', 'copy-staging'),
      sink: home.sink,
      apiToken: token,
      log,
      locate: indexLocator({ index: home.index, nodeId: 'home', roots: () => [home.root] }),
    });
    t = performance.now();
    await copyBack.start({ id: 'bench', camera: 'cam', stream: 0, source: { server: 'src', url: src.api.url }, fromMs: t0, toMs: t0 + o.segments * 1000 });
    for (;;) {
      const st = copyBack.status().find((j) => j.id === 'bench')!;
      if (st.state === 'failed') throw new Error(`copy-back failed: ${st.error}`);
      if (st.state === 'done') break;
      await delay(5);
    }
    const copyS = (performance.now() - t) / 1000;
    await copyBack.close();
    return { copyback_mb_s: round(mb / copyS), cp_mb_s: round(mb / cpS), copyback_mb: round(mb) };
  } finally {
    for (const s of servers) {
      await s.api.close();
      await s.paths.close();
      s.index.close();
    }
    rmSync(base, { recursive: true, force: true });
  }
}

function round(x: number): number {
  return Math.round(x * 10) / 10;
}
