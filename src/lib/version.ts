import { readFileSync } from 'node:fs';

/**
 * Vigil's version, from its package.json (two folders up from this file in both src/ and dist/),
 * read once; "unknown" when the file cannot be read (a copy without it).
 */
export const VIGIL_VERSION: string = (() => {
  try {
    const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as {
      version?: string;
    };
    return pkg.version ?? 'unknown';
  } catch {
    return 'unknown';
  }
})();
