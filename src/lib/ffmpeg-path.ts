import { execFileSync } from 'node:child_process';
import { createRequire } from 'node:module';

let cached: string | undefined;
let cachedMajor: number | undefined;

/** The ffmpeg binary: $VIGIL_FFMPEG, else the system one, else the binary shipped by @ffmpeg-installer. */
export function ffmpegPath(): string {
  if (cached) return cached;
  const candidates = [process.env.VIGIL_FFMPEG, 'ffmpeg'];
  try {
    const require = createRequire(import.meta.url);
    candidates.push((require('@ffmpeg-installer/ffmpeg') as { path: string }).path);
  } catch {
    // optional dependency not installed: the system binary is the only candidate
  }
  for (const c of candidates) {
    if (!c) continue;
    try {
      const out = execFileSync(c, ['-version'], {
        encoding: 'utf8',
        stdio: ['ignore', 'pipe', 'ignore'],
        timeout: 10_000,
      });
      cached = c;
      // Read from libavformat's major (58 = ffmpeg 4, 59 = 5, 60 = 6): static builds print no release number.
      const lavf = /libavformat\s+(\d+)\./.exec(out);
      cachedMajor = lavf ? Number(lavf[1]) - 54 : 5;
      return c;
    } catch {
      // not runnable: try the next one
    }
  }
  throw new Error('no ffmpeg found: install it (apt-get install ffmpeg) or set VIGIL_FFMPEG');
}

/** Major version of the ffmpeg in use: option names changed at 5.0 (rtsp -timeout vs -stimeout). */
export function ffmpegMajor(): number {
  ffmpegPath();
  return cachedMajor!;
}
