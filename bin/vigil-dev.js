#!/usr/bin/env node
// Development entry: runs the TypeScript sources through tsx, no build needed. The tests' farms use
// it (src/farm/local-farm.ts); production runs bin/vigil.js, the compiled build.
import { register } from 'tsx/esm/api';

register();
await import('../src/cli/main.ts');
