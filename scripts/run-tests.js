// Finds every *.test.ts under src/ and test/ and runs them with node's test runner through tsx.
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
const files = [...find('src'), ...find('test')].filter((f) => !filter || f.includes(filter)).sort();
const r = spawnSync(process.execPath, ['--import', 'tsx', '--test', '--test-concurrency=1', ...files], {
  stdio: 'inherit',
});
process.exit(r.status ?? 1);
