// bench:segment-chain — what the signed segment chain costs a recording server per segment: hashing
// a 1 MB segment file (SHA-256, as the sink does in staging), and signing and storing its link
// (ECDSA P-256 + one SQLite insert in a file-backed index, WAL, as the node runs it). Prints one
// JSON object as its last line: per-segment microseconds (median, p99) and how many segments per
// second one core could chain.
import { parseArgs } from 'node:util';
import { generateKeyPairSync, randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { LocalIndex } from '../src/storage/local-index.ts';
import { SegmentChain } from '../src/storage/segment-chain.ts';
import { sha256File } from '../src/node/file-digest.ts';
import { percentile } from './stats.ts';

const { values } = parseArgs({ options: { segments: { type: 'string', default: '2000' } } });
const N = Number(values.segments);
const dir = mkdtempSync(join(tmpdir(), 'vigil-bench-chain-'));
try {
  const index = new LocalIndex(join(dir, 'index.sqlite'));
  const { privateKey } = generateKeyPairSync('ec', { namedCurve: 'prime256v1' });
  const chain = new SegmentChain(index.sqlite, { server: 's1', key: privateKey });
  const file = join(dir, 'seg.ts');
  writeFileSync(file, randomBytes(1 << 20));
  const link: number[] = [];
  const hash: number[] = [];
  const t0 = performance.now();
  for (let i = 0; i < N; i++) {
    const a = performance.now();
    const { sha256 } = await sha256File(file);
    const b = performance.now();
    const startMs = 1_700_000_000_000 + i * 1000;
    const id = index.add({ cameraId: `c${i % 10}`, startMs, endMs: startMs + 1000, path: `p${i}`, bytes: 1 << 20 });
    const c = performance.now();
    chain.appendSegment(id, {
      camera: `c${i % 10}`,
      stream: 0,
      startMs,
      endMs: startMs + 1000,
      bytes: 1 << 20,
      sha256,
    });
    link.push((performance.now() - c) * 1000);
    hash.push((b - a) * 1000);
  }
  const totalMs = performance.now() - t0;
  index.close();
  const r = (x: number) => Math.round(x);
  console.log(
    JSON.stringify({
      segments: N,
      link_us_p50: r(percentile(link, 50)),
      link_us_p99: r(percentile(link, 99)),
      hash_1mb_us_p50: r(percentile(hash, 50)),
      links_per_s_one_core: r(1e6 / percentile(link, 50)),
      total_ms: r(totalMs),
    }),
  );
} finally {
  rmSync(dir, { recursive: true, force: true });
}
