import { spawn } from 'node:child_process';
import { createWriteStream } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { HeldSegment } from './playback-plan.ts';
import { concatList, exportArgs } from './export-args.ts';
import { ffmpegPath } from '../lib/ffmpeg-path.ts';
import { VigilError } from '../lib/errors.ts';
import { sha256File } from '../node/file-digest.ts';
import type { Logger } from '../lib/log.ts';

/** What exportMp4 needs to run. */
export interface ExportOptions {
  /** The segments to join, in play order (a playback plan). */
  segments: HeldSegment[];
  /** Fetches one segment from the server that holds it. */
  fetchSegment: (server: string, id: number, signal: AbortSignal) => Promise<Readable>;
  /** Aborted when the client goes away: downloads and ffmpeg stop. */
  signal: AbortSignal;
  log: Pick<Logger, 'warn' | 'error'>;
}

/** A finished export: the MP4 in a temp folder that `cleanup` removes. */
export interface ExportedFile {
  file: string;
  /** Segments that could not be fetched (the server went away meanwhile): left out of the file. */
  skipped: number;
  /** Per segment of the plan, the SHA-256 and size of the bytes fetched; undefined for one left out. */
  fetched: ({ sha256: string; bytes: number } | undefined)[];
  cleanup: () => Promise<void>;
}

/** Parallel segment downloads: enough to hide round trips, few enough not to starve recording servers. */
const DOWNLOADS = 4;
/** ffmpeg only copies packets; an hour of video takes seconds, so this bounds a hung run. */
const FFMPEG_TIMEOUT_MS = 120_000;

/**
 * Fetches the segments into a temp folder and joins them with ffmpeg into one MP4 (see exportArgs).
 * The caller streams the file and calls cleanup; on failure the folder is already gone.
 */
export async function exportMp4(o: ExportOptions): Promise<ExportedFile> {
  const dir = await mkdtemp(join(tmpdir(), 'vigil-export-'));
  const cleanup = () => rm(dir, { recursive: true, force: true });
  try {
    const names = await download(o, dir);
    const kept = names.filter((n): n is string => n !== undefined);
    // Hashed as fetched (local temp files, read once more): the manifest states which bytes went in.
    const fetched = await Promise.all(names.map((n) => (n === undefined ? undefined : sha256File(join(dir, n)))));
    if (!kept.length) throw new VigilError('SERVER_UNREACHABLE', 'no segment of the range could be fetched', 503);
    await writeFile(join(dir, 'list.ffconcat'), concatList(kept));
    const file = join(dir, 'export.mp4');
    await runFfmpeg(exportArgs(join(dir, 'list.ffconcat'), file), o.signal, o.log);
    return { file, skipped: names.length - kept.length, fetched, cleanup };
  } catch (err) {
    await cleanup();
    throw err;
  }
}

/** Downloads every segment; a name per segment, undefined for one that could not be fetched. */
async function download(o: ExportOptions, dir: string): Promise<(string | undefined)[]> {
  const names: (string | undefined)[] = new Array(o.segments.length);
  let next = 0;
  const worker = async () => {
    while (next < o.segments.length) {
      const i = next++;
      const s = o.segments[i];
      const name = `${String(i).padStart(6, '0')}.ts`;
      try {
        await pipeline(await o.fetchSegment(s.server, s.id, o.signal), createWriteStream(join(dir, name)));
        names[i] = name;
      } catch (err) {
        if (o.signal.aborted) throw err;
        o.log.warn({ err, server: s.server, segment: s.id }, 'export: segment not fetched; left out');
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(DOWNLOADS, o.segments.length) }, worker));
  return names;
}

function runFfmpeg(args: string[], signal: AbortSignal, log: Pick<Logger, 'error'>): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn(ffmpegPath(), args, { stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr.setEncoding('utf8');
    child.stderr.on('data', (d: string) => (stderr = (stderr + d).slice(-4000)));
    const kill = () => child.kill('SIGKILL');
    const timer = setTimeout(kill, FFMPEG_TIMEOUT_MS);
    signal.addEventListener('abort', kill, { once: true });
    child.once('error', (err) => {
      clearTimeout(timer);
      reject(err);
    });
    child.once('exit', (code, sig) => {
      clearTimeout(timer);
      signal.removeEventListener('abort', kill);
      if (code === 0) return resolve();
      // Only local temp files are named in these arguments and messages: nothing secret to scrub.
      log.error({ code, signal: sig, stderr }, 'export: ffmpeg failed');
      reject(
        new VigilError(
          'EXPORT_FAILED',
          signal.aborted ? 'export cancelled' : 'the segments could not be joined into an MP4',
          500,
        ),
      );
    });
  });
}
