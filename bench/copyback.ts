// Copy-back throughput against `cp` on the same files, measured in one run. A source server, in a
// child process (bench/copyback-source.ts), holds `segments` files of `bytes` each, indexed and
// served by its real NodeApi over HTTP. `cp -r` copies them first, twice: into the page cache only
// (cp_cache_mb_s), and followed by `sync` (cp_mb_s: a copy is comparable once on disk, as
// copy-back's is before it releases the source's). Then a CopyBack job (no rate limit) brings them
// into the home server's storage (this process), each verified by sha256, fsynced, and released
// at the source. Every run reads the source files from a warm page cache.
import { spawn, spawnSync } from 'node:child_process';
import { createInterface } from 'node:readline';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import { CopyBack, indexLocator } from '../src/node/copy-back.ts';
import { LocalIndex } from '../src/storage/local-index.ts';
import { singlePathSink } from '../test/support/test-sink.ts';
import { createLogger } from '../src/lib/log.ts';
import { testPki, type TestPki } from '../src/auth/test-pki.ts';
import { farmClientTls, type FarmTls } from '../src/auth/peer-identity.ts';
import { saveIdentity } from '../src/node/node-identity.ts';
import type { ClientTls } from '../src/lib/http/tls.ts';

let pki: Promise<TestPki> | undefined;
/** A farm CA for the bench (made once, removed at exit) and a certificate of server `id`, as enrollment makes them. */
async function benchIdentity(id: string): Promise<FarmTls> {
  pki ??= testPki().then((p) => {
    process.once('exit', () => p.remove());
    return p;
  });
  const p = await pki;
  return { ...(await p.server(id)), ca: p.ca.caPem };
}

/** The home server's TLS towards a source: its own certificate, the farm CA, as in a farm. */
export async function homeTls(): Promise<ClientTls> {
  return farmClientTls(await benchIdentity('home'), 'server');
}

export interface CopyBackFigures {
  copyback_mb_s: number;
  /** `cp -r` then `sync`, timed together. */
  cp_mb_s: number;
  /** `cp -r` alone: into the page cache. */
  cp_cache_mb_s: number;
  copyback_mb: number;
}

/** A source server of the bench, running: its NodeApi, its storage, the time range of its footage. */
export interface BenchSource {
  url: string;
  root: string;
  fromMs: number;
  toMs: number;
  close(): Promise<void>;
}

/** Starts a source server (bench/copyback-source.ts) in a child process, holding `segments` files of `bytes` each under `dir`. */
export async function startSource(dir: string, segments: number, bytes: number): Promise<BenchSource> {
  saveIdentity(dir, await benchIdentity('src')); // its server certificate, which it loads from there
  const child = spawn(
    process.execPath,
    [
      '--import',
      'tsx',
      join(import.meta.dirname, 'copyback-source.ts'),
      '--dir',
      dir,
      '--segments',
      String(segments),
      '--bytes',
      String(bytes),
    ],
    {
      stdio: ['pipe', 'pipe', 'inherit'],
    },
  );
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const close = async () => {
    child.stdin!.end();
    await exited;
  };
  try {
    return { ...(await firstLine<Omit<BenchSource, 'close'>>(child)), close };
  } catch (err) {
    await close();
    throw err;
  }
}

export async function measureCopyBack(o: { segments: number; bytes: number }): Promise<CopyBackFigures> {
  const base = mkdtempSync(join(tmpdir(), 'vigil-bench-copyback-'));
  const log = createLogger('bench', process.env.BENCH_LOG ?? 'silent');
  const homeRoot = join(base, 'home', 'storage');
  mkdirSync(homeRoot, { recursive: true });
  const index = new LocalIndex(join(base, 'home', 'index.sqlite'));
  const { sink, paths } = await singlePathSink(homeRoot, 'home', index, log);
  let src: BenchSource | undefined;
  try {
    src = await startSource(join(base, 'src'), o.segments, o.bytes);
    const mb = (o.segments * o.bytes) / 1e6;
    const footage = join(src.root, 'cam');
    const cpCacheS = timed(() => run('cp', '-r', footage, join(base, 'cp-cache')));
    run('sync');
    const cpS = timed(() => {
      run('cp', '-r', footage, join(base, 'cp-sync'));
      run('sync');
    });
    rmSync(join(base, 'cp-cache'), { recursive: true });
    rmSync(join(base, 'cp-sync'), { recursive: true });
    run('sync');

    const copyBack = new CopyBack({
      dataDir: join(base, 'home'),
      stagingDir: join(base, 'home', 'copy-staging'),
      sink,
      tls: await homeTls(),
      log,
      locate: indexLocator({ index, nodeId: 'home', roots: () => [homeRoot] }),
    });
    const t = performance.now();
    await copyBack.start({
      id: 'bench',
      camera: 'cam',
      stream: 0,
      source: { server: 'src', url: src.url },
      fromMs: src.fromMs,
      toMs: src.toMs,
    });
    for (;;) {
      const st = copyBack.status().find((j) => j.id === 'bench')!;
      if (st.state === 'failed') throw new Error(`copy-back failed: ${st.error}`);
      if (st.state === 'done') break;
      await delay(5);
    }
    const copyS = (performance.now() - t) / 1000;
    await copyBack.close();
    return {
      copyback_mb_s: round(mb / copyS),
      cp_mb_s: round(mb / cpS),
      cp_cache_mb_s: round(mb / cpCacheS),
      copyback_mb: round(mb),
    };
  } finally {
    await src?.close();
    await paths.close();
    index.close();
    rmSync(base, { recursive: true, force: true });
  }
}

/** The child's first line of output, parsed; fails if it exits first. */
async function firstLine<T>(child: ReturnType<typeof spawn>): Promise<T> {
  for await (const line of createInterface({ input: child.stdout! })) return JSON.parse(line) as T;
  throw new Error(`the copy-back source exited (code ${child.exitCode}) before it listened`);
}

function run(cmd: string, ...args: string[]): void {
  const r = spawnSync(cmd, args);
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')} failed: ${r.stderr}`);
}

/** Seconds `fn` takes. */
function timed(fn: () => void): number {
  const t = performance.now();
  fn();
  return (performance.now() - t) / 1000;
}

function round(x: number): number {
  return Math.round(x * 10) / 10;
}
