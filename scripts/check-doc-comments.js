// Every exported function and class under src/ carries a doc comment (/** … */) right above it:
// the one sentence that tells a reader what it is for without opening it. Run by `npm run lint`.
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';

function sources(dir) {
  const out = [];
  for (const name of readdirSync(dir)) {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) out.push(...sources(p));
    else if (/\.tsx?$/.test(name) && !/\.test\.tsx?$/.test(name)) out.push(p);
  }
  return out;
}

const EXPORT = /^export (default )?(async )?(abstract )?(function|class)\b/;
const missing = [];
for (const file of sources('src')) {
  const lines = readFileSync(file, 'utf8').split('\n');
  lines.forEach((line, i) => {
    if (!EXPORT.test(line)) return;
    let j = i - 1;
    while (j >= 0 && lines[j].trim().startsWith('@')) j--; // decorators sit between comment and export
    if (j < 0 || !lines[j].trimEnd().endsWith('*/')) missing.push(`${file}:${i + 1}: ${line.trim().slice(0, 80)}`);
  });
}
if (missing.length) {
  console.error(`${missing.length} exported function(s)/class(es) without a doc comment:\n${missing.join('\n')}`);
  process.exit(1);
}
