import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TestContext } from 'node:test';
import { ffmpegPath } from '../../src/lib/ffmpeg-path.ts';

/**
 * For end-to-end tests: an ffmpeg that answers `-version` as the real one does (so a node takes it,
 * through VIGIL_FFMPEG) but fails every recording at once, as a server whose ffmpeg is broken would:
 * its cameras answer, yet none records there. Removed after the test.
 */
export function brokenFfmpeg(t: TestContext): string {
  const dir = mkdtempSync(join(tmpdir(), 'vigil-broken-ffmpeg-'));
  const file = join(dir, 'ffmpeg');
  const real = ffmpegPath().replace(/'/g, `'\\''`);
  writeFileSync(
    file,
    `#!/bin/sh\ncase " $* " in *" -version "*) exec '${real}' "$@";; esac\necho 'broken ffmpeg (test): cannot record' >&2\nexit 1\n`,
  );
  chmodSync(file, 0o755);
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  return file;
}
