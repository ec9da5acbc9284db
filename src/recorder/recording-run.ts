import { rename, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { stagingPrefix } from '../storage/layout.ts';
import { MediaClock, type PtsMapping } from './media-clock.ts';
import type { RtspWatchListener } from './rtsp-watch.ts';
import type { SegmentTiming } from './segment-validator.ts';

let runCounter = 0;
/** Unique per run, also across recorders and restarts within one millisecond. */
export function newRunId(): string {
  return `${Date.now().toString(36)}-${(runCounter++).toString(36)}`;
}

/** The file next to a run's staging files that holds its pts → farm time mapping (see PtsMapping). */
export function anchorFileName(prefix: string): string {
  return `${prefix}.anchor.json`;
}

/** The staging prefix an anchor file belongs to, or undefined for any other name. */
export function anchorPrefix(fileName: string): string | undefined {
  return /^(\d{1,12}_[a-z0-9-]+)\.anchor\.json$/.exec(fileName)?.[1];
}

/**
 * One ffmpeg run of a camera recorder: its id, the prefix of its staging files and its MediaClock,
 * fed by the RTSP tap's connection of the run. The mapping is kept on disk next to the run's files
 * whenever it moves, so staging recovery after a crash dates them as the run would have.
 */
export class RecordingRun {
  readonly clock: MediaClock;
  readonly prefix: string;
  private readonly anchorFile: string;
  private saved = '';
  private saving: Promise<void> = Promise.resolve();

  constructor(
    readonly runId: string,
    timeBaseSeconds: number,
    stagingDir: string,
    private readonly toFarm: (nodeMs: number) => number,
  ) {
    this.prefix = stagingPrefix(timeBaseSeconds, runId);
    this.anchorFile = join(stagingDir, anchorFileName(this.prefix));
    this.clock = new MediaClock({ toFarm });
  }

  /** What the tap reports of this run's session goes into its clock. */
  listener(): RtspWatchListener {
    return {
      video: (p) => this.clock.video(p),
      senderReport: (sr) => this.clock.senderReport(sr),
    };
  }

  /** How this run's files are put in farm time now (binding the clock to the pts on the first). */
  timing(frames: { pts: number; key?: boolean }[]): SegmentTiming {
    if (!this.clock.bound) this.clock.bind(frames);
    return {
      wall: (pts) => this.clock.wallOfPts(pts),
      fallbackEndMs: this.toFarm(Date.now()),
      intervalMs: this.clock.frameIntervalMs,
    };
  }

  /** Writes the mapping when it moved by 1 ms or more (atomically: a crash leaves the old or the new one). */
  saveAnchor(): Promise<void> {
    const m = this.clock.mapping();
    if (!m) return this.saving;
    const text = JSON.stringify(roundMapping(m));
    if (text === this.saved) return this.saving;
    this.saved = text;
    this.saving = this.saving.then(async () => {
      const tmp = `${this.anchorFile}.tmp`;
      await writeFile(tmp, text, { mode: 0o600 });
      await rename(tmp, this.anchorFile);
    });
    return this.saving;
  }

  /** The run is over and its files are handled: its mapping is of no more use. */
  async removeAnchor(): Promise<void> {
    await this.saving.catch(() => {});
    await rm(this.anchorFile, { force: true });
    await rm(`${this.anchorFile}.tmp`, { force: true });
  }
}

function roundMapping(m: PtsMapping): PtsMapping {
  return { rate: m.rate, points: m.points.map((p) => ({ pts: p.pts, wallMs: Math.round(p.wallMs) })) };
}

/** A mapping read back from an anchor file; undefined when it is not one. */
export function parseAnchor(text: string): PtsMapping | undefined {
  try {
    const m = JSON.parse(text) as PtsMapping;
    const ok =
      Number.isFinite(m.rate) &&
      m.rate > 0 &&
      Array.isArray(m.points) &&
      m.points.length > 0 &&
      m.points.every((p) => Number.isFinite(p.pts) && Number.isFinite(p.wallMs));
    return ok ? m : undefined;
  } catch {
    return undefined;
  }
}
