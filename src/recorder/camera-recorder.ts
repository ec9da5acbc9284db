import type { ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import { createInterface } from 'node:readline';
import { setTimeout as delay } from 'node:timers/promises';
import { systemClock, type Clock } from '../lib/clock.ts';
import { ffmpegPath, ffmpegMajor } from '../lib/ffmpeg-path.ts';
import type { Logger } from '../lib/log.ts';
import { redactCredentials } from '../lib/redact.ts';
import { Supervisor } from '../lib/supervise.ts';
import { assertSafeId, streamFolder } from '../storage/layout.ts';
import type { IndexedSegment } from '../storage/local-index.ts';
import type { SegmentSink } from '../storage/segment-sink.ts';
import { BufferTarget, type BufferedSegment } from './buffer-target.ts';
import { CameraHealth } from './camera-health.ts';
import type { CameraStatus } from './camera-status.ts';
import { runLeftovers } from './run-leftovers.ts';
import { rtspReachable } from './camera-probe.ts';
import { recordArgs } from './ffmpeg-args.ts';
import { collisionSafe } from './collision-safe-sink.ts';
import { newRunId, RecordingRun } from './recording-run.ts';
import { RtspTap } from './rtsp-tap.ts';
import { RecordTarget } from './record-target.ts';
import { parseSegmentLine } from './segment-list.ts';
import type { SegmentTarget } from './segment-target.ts';
import { readSegment, timeSegment } from './segment-validator.ts';
import { ensurePrivateDir } from '../lib/private-dir.ts';

export type { BufferedSegment } from './buffer-target.ts';
export type { CameraState } from './camera-health.ts';
export type { CameraStatus } from './camera-status.ts';

/** Settings of one camera's recorder. */
export interface CameraRecorderOptions {
  nodeId: string;
  cameraId: string;
  /** RTSP URL; may carry credentials, so it is only ever logged redacted. */
  url: string;
  /** The camera's stream: 0 the first (main), 1 the second (sub), … (default 0). */
  stream?: number;
  /** Record the camera's audio track along with the video, when it has one (default true). */
  audio?: boolean;
  /** CA file an rtsps camera's certificate must chain to, verified by the RTSP tap ffmpeg reaches it through. */
  tlsCaFile?: string;
  /** Node time → farm time, for segments timed by their frames' arrival (default: identity). */
  toFarm?: (nodeMs: number) => number;
  /** The node's staging root; this stream stages in `<stagingRoot>/<streamFolder>`. */
  stagingRoot: string;
  /** Where validated segments go (storage + index). */
  sink: SegmentSink;
  log: Logger;
  /** Target segment length (default 1 s); cuts still wait for a keyframe. */
  segmentSeconds?: number;
  /** No new segment for this long while recording → ffmpeg is restarted (default 6000). */
  stallMs?: number;
  /** Allowance for connecting and probing before a run's first segment (default 10000). */
  startGraceMs?: number;
  clock?: Clock;
  /** Whether the camera answers RTSP at all (default: an RTSP OPTIONS round trip); tells offline from failing. */
  reachable?: (url: string) => Promise<boolean>;
  /** Called after each segment is moved into storage and indexed. */
  onSegment?: (seg: IndexedSegment) => void;
  /**
   * Buffer mode (hot standby): segments are validated but only held in staging, the last `ms`
   * milliseconds of them, never stored or indexed, until promote(). Absent: record mode.
   */
  buffer?: { ms: number };
  /**
   * What ffmpeg is given for the camera's URL at each start (default: the URL itself): the
   * recorder set's CameraUrlRedirect hands out one-time loopback tickets, so the password is not
   * on ffmpeg's command line.
   */
  ffmpegUrl?: (url: string) => string;
}

/** How long a camera asked whether it answers RTSP has to answer. */
const REACH_TIMEOUT_MS = 2000;

/** Upper bound on waiting for ffmpeg's last list lines once it has exited during close(). */
const DRAIN_TIMEOUT_MS = 2000;
/**
 * Records one camera: a supervised ffmpeg writes short MPEG-TS segments into a staging folder and
 * lists each finished one on stdout; every listed segment is validated and handed to the target:
 * moved into the storage layout and indexed (record mode), or held in a rolling pre-buffer in
 * staging (buffer mode, hot standby), which promote() commits when this server takes over. A
 * watchdog ticks CameraHealth and restarts ffmpeg when segments stop coming, since a hung RTSP
 * session does not always make ffmpeg exit on its own.
 */
export class CameraRecorder {
  private readonly log: Logger;
  private readonly clock: Clock;
  private readonly stagingDir: string;
  private readonly segmentSeconds: number;
  private readonly health: CameraHealth;
  /** How often the watchdog judges health: a quarter of the shorter bound, within [50, 1000] ms. */
  private readonly tickMs: number;
  private readonly supervisor: Supervisor;
  private readonly record: RecordTarget;
  /**
   * The loopback relay ffmpeg reaches the camera through (verified TLS for an rtsps camera given a
   * CA): it reads the RTP timestamps and sender reports the segments are dated by.
   */
  private readonly tap: RtspTap | undefined;
  private readonly toFarm: (nodeMs: number) => number;
  /** Buffer mode's target until promote(); undefined in record mode. */
  private buffer: BufferTarget | undefined;
  /** Segments ffmpeg listed that failed validation. */
  private invalidSegments = 0;
  readonly stream: number;
  /** The current ffmpeg run: its id, staging prefix and media clock. */
  private run: RecordingRun | undefined;
  /** The camera clock's offset last seen, kept across runs for the status. */
  private lastClockOffsetMs: number | undefined;
  /** Runs whose leftovers in staging are not handled yet (see endRun). */
  private readonly runs = new Set<RecordingRun>();
  private readonly stallMs: number;
  /** The watchdog's last tick, and until when it restarts nothing (this process was itself stopped: see checkHealth). */
  private lastTick = 0;
  private heldUntil = 0;
  private watchdog: NodeJS.Timeout | undefined;
  /** Segments are handled one at a time, in list order; close() waits for the tail of this chain. */
  private work: Promise<void> = Promise.resolve();
  /** Resolves when the current run's stdout is fully read, i.e. its last list line was seen. */
  private stdoutDone: Promise<void> = Promise.resolve();
  private started = false;
  /** Runs already warned of having no anchor (one line per run, not per segment). */
  private readonly unanchoredRuns = new Set<string>();
  private closing: Promise<void> | undefined;

  constructor(private readonly opts: CameraRecorderOptions) {
    assertSafeId('camera', opts.cameraId);
    assertSafeId('node', opts.nodeId);
    this.stream = opts.stream ?? 0;
    this.log = opts.log.child({ cameraId: opts.cameraId, ...(this.stream && { stream: this.stream }) });
    this.clock = opts.clock ?? systemClock;
    const stallMs = opts.stallMs ?? 6000;
    this.stallMs = stallMs;
    const startGraceMs = opts.startGraceMs ?? 10_000;
    this.health = new CameraHealth({ stallMs, startGraceMs }, this.clock.now());
    this.tickMs = Math.max(50, Math.min(1000, Math.floor(Math.min(stallMs, startGraceMs) / 4)));
    this.stagingDir = join(opts.stagingRoot, streamFolder(opts.cameraId, this.stream));
    this.segmentSeconds = opts.segmentSeconds ?? 1;
    if (opts.buffer && !(Number.isFinite(opts.buffer.ms) && opts.buffer.ms >= 0))
      throw new Error(`bad buffer window ${opts.buffer.ms} ms`);
    this.toFarm = opts.toFarm ?? ((ms) => ms);
    const sink = collisionSafe(opts.sink);
    this.record = new RecordTarget({ sink, log: this.log, clock: this.clock, onSegment: opts.onSegment });
    if (opts.buffer) this.buffer = new BufferTarget({ ms: opts.buffer.ms, stagingDir: this.stagingDir, log: this.log });
    if (/^rtsps?:/i.test(opts.url))
      this.tap = new RtspTap(opts.url, {
        log: this.log,
        ...(opts.tlsCaFile && /^rtsps:/i.test(opts.url) && { ca: readFileSync(opts.tlsCaFile, 'utf8') }),
        onConnection: () => this.run?.listener() ?? {},
      });
    this.supervisor = new Supervisor({
      name: `ffmpeg-rec-${opts.cameraId}`,
      command: ffmpegPath(),
      args: () => {
        const timeBaseSeconds = Math.floor(Date.now() / 1000);
        const run = new RecordingRun(newRunId(), timeBaseSeconds, this.stagingDir, this.toFarm);
        this.run = run;
        this.runs.add(run);
        this.target.runStarting(run.runId, `${run.prefix}-`);
        // The camera through the tap's loopback URL; that through the redirect, so the credentials
        // stay off ffmpeg's command line.
        const url = this.tap?.url || opts.url;
        return recordArgs({
          url: opts.ffmpegUrl ? opts.ffmpegUrl(url) : url,
          stagingDir: this.stagingDir,
          runId: run.runId,
          segmentSeconds: this.segmentSeconds,
          timeBaseSeconds,
          ffmpegMajor: ffmpegMajor(),
          audio: opts.audio ?? true,
        });
      },
      log: this.log,
      onStart: (child) => this.onRunStart(child),
      // The supervisor logs the exit (with ffmpeg's scrubbed stderr) and schedules the restart.
      onExit: () => {
        if (!this.closing) this.health.exited(this.clock.now());
      },
    });
  }

  get cameraId(): string {
    return this.opts.cameraId;
  }

  /** The running ffmpeg's pid (undefined between runs). */
  get pid(): number | undefined {
    return this.supervisor.pid;
  }

  /** Starts recording (resolves once ffmpeg is started); a no-op if already started or closed. */
  start(): Promise<void> {
    if (this.started || this.closing) return Promise.resolve();
    this.started = true;
    this.health.started(this.clock.now());
    // Checked before ffmpeg is pointed at it: only this user may have made it or may write into it.
    ensurePrivateDir(this.stagingDir);
    this.log.info(
      {
        url: redactCredentials(this.opts.url),
        stagingDir: this.stagingDir,
        segmentSeconds: this.segmentSeconds,
        ...(this.opts.buffer && { bufferMs: this.opts.buffer.ms }),
      },
      'camera recorder starting',
    );
    const run = () => {
      if (!this.closing) this.supervisor.start();
    };
    this.watchdog = setInterval(() => this.checkHealth(), this.tickMs);
    if (!this.tap) return Promise.resolve(run());
    return this.tap.listen().then(run, (err) => this.log.error({ err }, 'cannot start the rtsp tap: not recording'));
  }

  /** A snapshot of the recorder's state. */
  status(): CameraStatus {
    return {
      state: this.health.state,
      lastSegmentEndMs: this.record.lastSegmentEndMs,
      segments: this.record.stored,
      invalidSegments: this.invalidSegments + this.record.refused,
      unstoredSegments: this.record.unstored,
      restarts: this.health.restarts,
      since: this.health.since,
      pid: this.supervisor.pid,
      mode: this.target.mode,
      buffered: this.buffer?.size ?? 0,
      ...(this.clockOffsetMs !== undefined && { clockOffsetMs: Math.round(this.clockOffsetMs) }),
    };
  }

  /** The camera clock's offset from the farm's by its sender reports (the current run's, else the last seen). */
  private get clockOffsetMs(): number | undefined {
    this.lastClockOffsetMs = this.run?.clock.cameraOffsetMs ?? this.lastClockOffsetMs;
    return this.lastClockOffsetMs;
  }

  /** Buffer mode: the held segments, oldest first (a live relay plays them); none in record mode. */
  buffered(): BufferedSegment[] {
    return this.buffer?.held() ?? [];
  }

  /**
   * Buffer mode → record mode without restarting ffmpeg: the held segments ending after
   * `recordFromMs` (all of them without it) are committed oldest first through the same in-order
   * queue as any segment, so a storage outage keeps them waiting in order; the others are deleted.
   * Every later segment is committed. Queued behind the segments being handled, so none is missed
   * or committed twice. A no-op in record mode, and once close() has begun (the buffer goes with it).
   */
  promote(recordFromMs?: number): Promise<void> {
    if (this.closing) return Promise.resolve();
    const done = this.work.then(() => this.commitBuffer(recordFromMs));
    this.work = done;
    return done;
  }

  /**
   * Stops recording gracefully: ffmpeg is asked to quit (`q`), which closes and lists the segment in
   * progress; that segment is moved and indexed too before this resolves. Bounded: the supervisor
   * escalates to SIGTERM/SIGKILL, and the wait for the last list lines is capped.
   */
  close(): Promise<void> {
    this.closing ??= (async () => {
      clearInterval(this.watchdog);
      await this.supervisor.close();
      await this.tap?.close();
      await Promise.race([this.stdoutDone, delay(DRAIN_TIMEOUT_MS)]);
      await this.work;
      for (const run of this.runs) await this.endRun(run);
      await this.target.close();
      const { segments, invalidSegments } = this.status();
      this.log.info({ segments, invalidSegments }, 'camera recorder closed');
    })();
    return this.closing;
  }

  /** Where validated segments go now. */
  private get target(): SegmentTarget {
    return this.buffer ?? this.record;
  }

  private onRunStart(child: ChildProcess): void {
    const run = this.run!;
    this.health.runStarted(this.clock.now());
    if (!child.stdout) return;
    const lines = createInterface({ input: child.stdout, crlfDelay: Infinity });
    lines.on('line', (line) => {
      this.work = this.work.then(() => this.handleLine(line, run));
    });
    this.stdoutDone = new Promise((resolve) => lines.once('close', () => resolve()));
    void this.stdoutDone.then(() => {
      this.work = this.work.then(() => this.endRun(run));
    });
  }

  /** The watchdog: asks the camera whether it answers, or restarts ffmpeg, as the health verdict says. */
  private checkHealth(): void {
    if (this.closing) return;
    const now = this.clock.now();
    // A tick far later than due: this process was stopped (SIGSTOP, a hung VM), not ffmpeg stalled
    // on its own. ffmpeg gets a stall period to deliver the footage that piled up in the sockets.
    if (this.lastTick && now - this.lastTick > 4 * this.tickMs + 1000) this.heldUntil = now + this.stallMs;
    this.lastTick = now;
    const verdict = this.health.tick(now, this.supervisor.running);
    if (verdict.probe) this.probeReach();
    if (verdict.restart && now >= this.heldUntil) this.supervisor.restart(verdict.restart);
  }

  /**
   * An ended run: what it left unlisted in staging (killed mid-segment) is stored like its other
   * segments (record mode; a buffer sweeps its own), then its anchor goes unless some wait for storage.
   */
  private async endRun(run: RecordingRun): Promise<void> {
    if (!this.runs.delete(run)) return;
    if (this.target.mode === 'record')
      try {
        for (const part of await runLeftovers(this.stagingDir, run, this.record.heldFiles())) {
          const seg = { cameraId: this.opts.cameraId, stream: this.stream, ...part.seg };
          await this.record.take({ staged: part.staged, seg }, run.runId);
        }
      } catch (err) {
        this.log.error({ err, runId: run.runId }, 'storing what a run left unlisted failed');
      }
    if (!this.record.unstored) await run.removeAnchor().catch(() => {});
  }

  /** Asks whether the camera answers RTSP at all and tells the health what it said. */
  private probeReach(): void {
    const probe = this.opts.reachable ?? ((url: string) => rtspReachable(url, REACH_TIMEOUT_MS));
    void probe(this.opts.url)
      .catch(() => false)
      .then((up) => {
        if (this.closing) return;
        const next = this.health.probed(up, this.clock.now());
        if (next) this.log.warn({ state: next }, up ? 'camera answers but recording cannot start' : 'camera offline');
      });
  }

  /**
   * One list line: validate the segment, time it by its frames through the run's anchor (split
   * where its frames jump), hand each part to the target. Never throws.
   */
  private async handleLine(line: string, run: RecordingRun): Promise<void> {
    const { runId } = run;
    const listed = parseSegmentLine(line);
    if (!listed) {
      if (line.trim())
        this.log.warn({ line: redactCredentials(line), runId }, 'unexpected line from ffmpeg segment list');
      return;
    }
    // ffmpeg names files relative to nothing we trust blindly: only the base name, inside our staging dir.
    const staged = join(this.stagingDir, basename(listed.file));
    try {
      const read = await readSegment(staged);
      const timed = typeof read === 'string' ? read : await timeSegment(staged, read, run.timing(read.probe.frames));
      if (typeof timed === 'string') {
        this.invalidSegments++;
        await this.target.invalid({ file: staged, reason: timed, startMs: undefined, endMs: 0, runId });
        return;
      }
      await run.saveAnchor().catch((err: unknown) => this.log.warn({ err, runId }, 'cannot save the run anchor'));
      if (timed.length > 1)
        this.log.warn(
          { file: staged, runId, parts: timed.map((p) => [p.seg.startMs, p.seg.endMs]) },
          'frames jump inside a segment: split into continuous parts',
        );
      if (!timed[0].anchored && !this.unanchoredRuns.has(runId) && this.unanchoredRuns.add(runId))
        this.log.warn({ runId }, 'no media anchor for the run (the tap saw no video): segments timed by their listing');
      // ffmpeg delivers: that is progress for the watchdog, whether or not storage takes the segment.
      this.health.segment(this.clock.now());
      for (const part of timed) {
        const seg = { cameraId: this.opts.cameraId, stream: this.stream, ...part.seg };
        await this.target.take({ staged: part.staged, seg }, runId);
      }
    } catch (err) {
      this.log.error({ err, file: staged, runId }, 'storing segment failed');
    }
  }

  /** promote()'s work, in turn with the segments. Never throws: the chain must go on. */
  private async commitBuffer(recordFromMs: number | undefined): Promise<void> {
    const buffer = this.buffer;
    if (!buffer) return;
    this.buffer = undefined;
    const runId = this.run?.runId ?? '';
    const { commit, dropped, cleanup } = buffer.promote(recordFromMs, runId);
    this.record.enqueue(commit);
    this.log.info({ recordFromMs, committing: commit.length, dropped }, 'buffered camera promoted: recording');
    try {
      await cleanup;
      await this.record.storeWaiting(runId);
    } catch (err) {
      this.log.error({ err }, 'committing the buffer failed');
    }
  }
}
