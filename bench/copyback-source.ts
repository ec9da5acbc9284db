// The source server of bench/copyback.ts, in a process of its own, as a real second server is (it
// does not share the bench's thread): `--segments` files of `--bytes` each under `--dir`, recorded
// an hour ago, indexed and served by its NodeApi. Prints one JSON line once listening
// ({url, root, fromMs, toMs}); closes and exits when its stdin ends.
import { randomBytes } from 'node:crypto';
import { mkdirSync, utimesSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { parseArgs } from 'node:util';
import { NodeApi } from '../src/node/node-api.ts';
import { LocalIndex } from '../src/storage/local-index.ts';
import { segmentRelPath } from '../src/storage/layout.ts';
import { createLogger } from '../src/lib/log.ts';
import { loadIdentity } from '../src/node/node-identity.ts';

const { values } = parseArgs({
  options: { dir: { type: 'string' }, segments: { type: 'string' }, bytes: { type: 'string' } },
});
const dir = values.dir ?? '';
const segments = Number(values.segments);
const bytes = Number(values.bytes);
if (!dir || !(segments > 0) || !(bytes > 0))
  throw new Error('usage: copyback-source.ts --dir <dir> --segments <n> --bytes <n>');

const root = join(dir, 'storage');
mkdirSync(root, { recursive: true });
const index = new LocalIndex(join(dir, 'index.sqlite'));
// Footage of a failover period: recorded before the copy, one-second segments ending an hour ago.
const fromMs = Math.floor(Date.now() / 1000) * 1000 - 3_600_000 - segments * 1000;
for (let i = 0; i < segments; i++) {
  const startMs = fromMs + i * 1000;
  const rel = segmentRelPath('cam', startMs, 'src');
  const file = join(root, rel);
  mkdirSync(dirname(file), { recursive: true });
  writeFileSync(file, randomBytes(bytes));
  utimesSync(file, new Date(startMs + 1000), new Date(startMs + 1000));
  index.addStored({ cameraId: 'cam', startMs, endMs: startMs + 1000, path: rel, bytes }, [root]);
}
const log = createLogger('bench-source', process.env.BENCH_LOG ?? 'silent');
// The bench's home (its certificate names server 'home') copies this footage: the one job this source knows.
const copySources = [{ job: 'bench', home: 'home', camera: 'cam', stream: 0, fromMs, toMs: fromMs + segments * 1000 }];
const tls = loadIdentity(dir);
if (!tls) throw new Error(`no identity in ${dir}/identity`);
const api = new NodeApi({
  host: '127.0.0.1',
  port: 0,
  roots: () => [root],
  index,
  tls,
  log,
  copySources: () => copySources,
});
await api.start();
console.log(JSON.stringify({ url: api.url, root, fromMs, toMs: fromMs + segments * 1000 }));

process.stdin.resume();
process.stdin.on('end', async () => {
  await api.close();
  index.close();
  process.exit(0);
});
