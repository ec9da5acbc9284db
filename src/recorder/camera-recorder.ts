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
import { CameraHealth, type CameraState } from './camera-health.ts';
import { rtspReachable } from './camera-probe.ts';
import { recordArgs } from './ffmpeg-args.ts';
import { RtspsRelay } from './rtsps-relay.ts';
import { stagingPrefix } from '../storage/layout.ts';
import { RecordTarget } from './record-target.ts';
import { parseSegmentLine } from './segment-list.ts';
import type { SegmentTarget } from './segment-target.ts';
import { validateSegment } from './segment-validator.ts';
import { ensurePrivateDir } from '../lib/private-dir.ts';

export type { BufferedSegment } from './buffer-target.ts';
export type { CameraState } from './camera-health.ts';

/** What a camera recorder is doing, for health reports and tests. */
export interface CameraStatus {
  /** starting, recording, stalled, offline or failing: see CameraState. */
  state: CameraState;
  lastSegmentEndMs?: number;
  /** Segments indexed since start(). */
  segments: number;
  /** Segments ffmpeg listed that failed validation (left in staging, deleted in buffer mode; never indexed). */
  invalidSegments: number;
  /** Valid segments waiting in staging for a storage path to take them. */
  unstoredSegments: number;
  /** ffmpeg runs after the first one, whatever ended the previous run. */
  restarts: number;
  /** When `state` last changed (clock ms). */
  since: number;
  /** The running ffmpeg's pid, if one runs. */
  pid?: number;
  /** record: segments are committed; buffer: they are only held in a rolling pre-buffer (hot standby). */
  mode: 'record' | 'buffer';
  /** Segments held in the pre-buffer (0 in record mode). */
  buffered: number;
  /** The camera's clock − farm time (ms), from its RTCP sender reports; undefined while none is known. */
  clockOffsetMs?: number;
}

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
  /** CA file an rtsps camera's certificate must chain to: ffmpeg then reaches it through a verifying RtspsRelay. */
  tlsCaFile?: string;
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
  /**
   * This server's wall-clock readings (ms) in farm time, the master's clock (FarmClock.toFarm):
   * segment start and end times go through it, so a server whose clock is off still places its
   * footage where it happened. Default: unchanged.
   */
  toFarm?: (nodeMs: number) => number;
}

/** How long a camera asked whether it answers RTSP has to answer. */
const REACH_TIMEOUT_MS = 2000;

/** Upper bound on waiting for ffmpeg's last list lines once it has exited during close(). */
const DRAIN_TIMEOUT_MS = 2000;

let runCounter = 0;
/** Unique per run, also across recorders and restarts within one millisecond. */
function newRunId(): string {
  return `${Date.now().toString(36)}-${(runCounter++).toString(36)}`;
}

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
  /** Verified TLS for an rtsps camera given a CA file (ffmpeg 5.1 cannot verify one itself). */
  private readonly relay: RtspsRelay | undefined;
  /** Buffer mode's target until promote(); undefined in record mode. */
  private buffer: BufferTarget | undefined;
  /** Segments ffmpeg listed that failed validation. */
  private invalidSegments = 0;
  readonly stream: number;
  private runId = '';
  /** Epoch ms the current run's listed times count from (see recordArgs' timeBaseSeconds). */
  private runTimeBaseMs = 0;
  private watchdog: NodeJS.Timeout | undefined;
  /** Segments are handled one at a time, in list order; close() waits for the tail of this chain. */
  private work: Promise<void> = Promise.resolve();
  /** Resolves when the current run's stdout is fully read, i.e. its last list line was seen. */
  private stdoutDone: Promise<void> = Promise.resolve();
  private started = false;
  private closing: Promise<void> | undefined;

  constructor(private readonly opts: CameraRecorderOptions) {
    assertSafeId('camera', opts.cameraId);
    assertSafeId('node', opts.nodeId);
    this.stream = opts.stream ?? 0;
    this.log = opts.log.child({ cameraId: opts.cameraId, ...(this.stream && { stream: this.stream }) });
    this.clock = opts.clock ?? systemClock;
    const stallMs = opts.stallMs ?? 6000;
    const startGraceMs = opts.startGraceMs ?? 10_000;
    this.health = new CameraHealth({ stallMs, startGraceMs }, this.clock.now());
    this.tickMs = Math.max(50, Math.min(1000, Math.floor(Math.min(stallMs, startGraceMs) / 4)));
    this.stagingDir = join(opts.stagingRoot, streamFolder(opts.cameraId, this.stream));
    this.segmentSeconds = opts.segmentSeconds ?? 1;
    if (opts.buffer && !(Number.isFinite(opts.buffer.ms) && opts.buffer.ms >= 0))
      throw new Error(`bad buffer window ${opts.buffer.ms} ms`);
    this.record = new RecordTarget({ sink: opts.sink, log: this.log, clock: this.clock, onSegment: opts.onSegment });
    if (opts.buffer) this.buffer = new BufferTarget({ ms: opts.buffer.ms, stagingDir: this.stagingDir, log: this.log });
    if (opts.tlsCaFile && /^rtsps:/i.test(opts.url))
      this.relay = new RtspsRelay(opts.url, { ca: readFileSync(opts.tlsCaFile, 'utf8'), log: this.log });
    this.supervisor = new Supervisor({
      name: `ffmpeg-rec-${opts.cameraId}`,
      command: ffmpegPath(),
      args: () => {
        this.runId = newRunId();
        // ffmpeg stamps packets with the system clock, so the base comes from it too, not from `clock`.
        this.runTimeBaseMs = Math.floor(Date.now() / 1000) * 1000;
        this.target.runStarting(this.runId, `${stagingPrefix(this.runTimeBaseMs / 1000, this.runId)}-`);
        // A verified rtsps camera through its relay's loopback URL; either through the redirect, so
        // the credentials stay off ffmpeg's command line.
        const url = this.relay?.url || opts.url;
        return recordArgs({
          url: opts.ffmpegUrl ? opts.ffmpegUrl(url) : url,
          stagingDir: this.stagingDir,
          runId: this.runId,
          segmentSeconds: this.segmentSeconds,
          timeBaseSeconds: this.runTimeBaseMs / 1000,
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

  /** Starts recording; a no-op if already started or closed. */
  start(): void {
    if (this.started || this.closing) return;
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
    if (this.relay)
      this.relay.listen().then(run, (err) => this.log.error({ err }, 'cannot start the rtsps relay: not recording'));
    else run();
    this.watchdog = setInterval(() => this.checkHealth(), this.tickMs);
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
    };
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
      await this.relay?.close();
      await Promise.race([this.stdoutDone, delay(DRAIN_TIMEOUT_MS)]);
      await this.work;
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
    const run = { runId: this.runId, timeBaseMs: this.runTimeBaseMs };
    this.health.runStarted(this.clock.now());
    if (!child.stdout) return;
    const lines = createInterface({ input: child.stdout, crlfDelay: Infinity });
    lines.on('line', (line) => {
      this.work = this.work.then(() => this.handleLine(line, run));
    });
    this.stdoutDone = new Promise((resolve) => lines.once('close', () => resolve()));
  }

  /** The watchdog: asks the camera whether it answers, or restarts ffmpeg, as the health verdict says. */
  private checkHealth(): void {
    if (this.closing) return;
    const verdict = this.health.tick(this.clock.now(), this.supervisor.running);
    if (verdict.probe) this.probeReach();
    if (verdict.restart) this.supervisor.restart(verdict.restart);
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

  /** One list line: validate the segment, hand it to the target. Never throws. */
  private async handleLine(line: string, { runId, timeBaseMs }: { runId: string; timeBaseMs: number }): Promise<void> {
    const listed = parseSegmentLine(line);
    if (!listed) {
      if (line.trim())
        this.log.warn({ line: redactCredentials(line), runId }, 'unexpected line from ffmpeg segment list');
      return;
    }
    // ffmpeg names files relative to nothing we trust blindly: only the base name, inside our staging dir.
    const staged = join(this.stagingDir, basename(listed.file));
    try {
      const endMs = timeBaseMs + listed.endMs;
      // ffmpeg 5.1 lists 0 as the start of a run's first segment (its end is right): measured below.
      const listedStartMs = listed.startMs > 0 ? timeBaseMs + listed.startMs : undefined;
      const checked = await validateSegment(staged, listedStartMs, endMs);
      if (typeof checked === 'string') {
        this.invalidSegments++;
        await this.target.invalid({ file: staged, reason: checked, startMs: listedStartMs, endMs, runId });
        return;
      }
      const { bytes } = checked;
      // ffmpeg delivers: that is progress for the watchdog, whether or not storage takes the segment.
      this.health.segment(this.clock.now());
      // Both ends with one offset, so a change of the estimate never stretches or shrinks a segment.
      const toFarm = this.opts.toFarm ?? ((ms: number) => ms);
      const shift = toFarm(endMs) - endMs;
      const seg = {
        cameraId: this.opts.cameraId,
        stream: this.stream,
        startMs: Math.round(checked.startMs + shift),
        endMs: Math.round(endMs + shift),
        bytes,
      };
      await this.target.take({ staged, seg }, runId);
    } catch (err) {
      this.log.error({ err, file: staged, runId }, 'storing segment failed');
    }
  }

  /** promote()'s work, in turn with the segments. Never throws: the chain must go on. */
  private async commitBuffer(recordFromMs: number | undefined): Promise<void> {
    const buffer = this.buffer;
    if (!buffer) return;
    this.buffer = undefined;
    const { commit, dropped, cleanup } = buffer.promote(recordFromMs, this.runId);
    this.record.enqueue(commit);
    this.log.info({ recordFromMs, committing: commit.length, dropped }, 'buffered camera promoted: recording');
    try {
      await cleanup;
      await this.record.storeWaiting(this.runId);
    } catch (err) {
      this.log.error({ err }, 'committing the buffer failed');
    }
  }
}
