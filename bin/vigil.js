#!/usr/bin/env node
// Runs the compiled build (dist/, from `npm run build`; `npm install` and `npm ci` run it). There is
// no fallback to the sources: production runs what was built. bin/vigil-dev.js runs the sources.
import { existsSync } from 'node:fs';

const main = new URL('../dist/cli/main.js', import.meta.url);
if (!existsSync(main)) {
  console.error('vigil: no compiled build (dist/cli/main.js): run `npm run build` first');
  process.exit(1);
}
await import(main.href);
