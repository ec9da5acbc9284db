// Finds every *.test.ts under src/, web/src/ and test/ and runs them with node's test runner through tsx.
// (Node 20's --test takes no globs.) VIGIL_TEST_FILTER=substring narrows the set.
import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';

function find(dir) {
  const out = [];
  for (const name of readdirSync(dir)) {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) out.push(...find(p));
    else if (name.endsWith('.test.ts')) out.push(p);
  }
  return out;
}
const filter = process.env.VIGIL_TEST_FILTER;
const files = [...find('src'), ...find('web/src'), ...find('test')].filter((f) => !filter || f.includes(filter)).sort();
// The end-to-end farms run the compiled build (see src/farm/local-farm.ts): build it first, so it is
// never stale (incremental, a few seconds when little changed).
for (const step of [
  ['node_modules/typescript/bin/tsc', '-p', 'tsconfig.build.json'],
  // The console too (dist/web): the master serves it and the browser tests load it (about 2 s).
  ['node_modules/vite/bin/vite.js', 'build', '--config', 'web/vite.config.ts', '--logLevel', 'warn'],
]) {
  const build = spawnSync(process.execPath, step, { stdio: 'inherit' });
  if (build.status !== 0) process.exit(build.status ?? 1);
}
// Unit tests (src/, no real farm) run two at a time: they bind only port 0 and wait on conditions,
// so they may share the two cores. The end-to-end farms (test/ and any *.e2e.test.ts) run after,
// two at a time as well: each file binds loopback ports of its own (TCP and UDP, listed at its top;
// nodes' APIs take port 0), makes its own PostgreSQL cluster or database and waits on conditions.
// One at a time they took 20 min of a 23 min run; two at a time about 11.
const unit = files.filter((f) => !f.startsWith('test') && !f.includes('.e2e.'));
const farms = files.filter((f) => !unit.includes(f));
const env = { VIGIL_FARM_CODE: 'compiled', ...process.env };
let status = 0;
for (const [set, concurrency] of [
  [unit, 2],
  [farms, 2],
]) {
  if (!set.length) continue;
  const r = spawnSync(process.execPath, ['--import', 'tsx', '--test', `--test-concurrency=${concurrency}`, ...set], {
    stdio: 'inherit',
    env,
  });
  status ||= r.status ?? 1;
}
process.exit(status);
