import type { ChildProcess } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import { open, readdir, rm, type FileHandle } from 'node:fs/promises';
import { basename, join } from 'node:path';
import { createInterface } from 'node:readline';
import { systemClock, type Clock } from '../lib/clock.ts';
import { ffmpegPath, ffmpegMajor } from '../lib/ffmpeg-path.ts';
import type { Logger } from '../lib/log.ts';
import { redactCredentials } from '../lib/redact.ts';
import { setTimeout as delay } from 'node:timers/promises';
import { Supervisor } from '../lib/supervise.ts';
import { recordArgs, stagingPrefix } from './ffmpeg-args.ts';
import { assertSafeId, streamFolder } from '../storage/layout.ts';
import type { IndexedSegment } from '../storage/local-index.ts';
import { parseSegmentLine } from './segment-list.ts';
import { mpegtsVideoDurationMs, probeTs } from './ts-probe.ts';
import { storeInOrder, type SegmentSink, type WaitingSegment } from '../storage/segment-sink.ts';
import { rtspReachable } from './camera-probe.ts';
import { splitForCommit, trimRing } from './segment-ring.ts';
import { VigilError } from '../lib/errors.ts';

/** What a camera recorder is doing, for health reports and tests. */
export interface CameraStatus {
  /**
   * starting: no segment yet since start(); recording: segments arrive; stalled: ffmpeg died or hung,
   * being restarted; offline: no segment for startGraceMs and the camera does not answer RTSP (the
   * camera's problem); failing: no segment for startGraceMs although the camera answers (the
   * server's problem: recording cannot start).
   */
  state: 'starting' | 'recording' | 'stalled' | 'offline' | 'failing';
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
}

/** Bytes of a segment read to validate it (PAT, PMT and the first frame's start fit easily). */
const VALIDATE_HEAD_BYTES = 64 * 1024;

/** How often, at most, a camera that records nothing is asked whether it answers. */
const REACH_PROBE_EVERY_MS = 2000;
const REACH_TIMEOUT_MS = 2000;

/** A segment held in a pre-buffer: a staged file, never indexed. */
export interface BufferedSegment {
  file: string;
  startMs: number;
  endMs: number;
  bytes: number;
}

/** Upper bound on waiting for ffmpeg's last list lines once it has exited during close(). */
const DRAIN_TIMEOUT_MS = 2000;

let runCounter = 0;
/** Unique per run, also across recorders and restarts within one millisecond. */
function newRunId(): string {
  return `${Date.now().toString(36)}-${(runCounter++).toString(36)}`;
}

/**
 * Records one camera: a supervised ffmpeg writes short MPEG-TS segments into a staging folder and
 * lists each finished one on stdout; every listed segment is validated, moved into the storage
 * layout and indexed. A watchdog restarts ffmpeg when segments stop coming, since a hung RTSP
 * session does not always make ffmpeg exit on its own. In buffer mode (hot standby) the same runs
 * only feed a rolling pre-buffer in staging, which promote() commits when this server takes over.
 */
export class CameraRecorder {
  private readonly log: Logger;
  private readonly clock: Clock;
  private readonly stagingDir: string;
  private readonly segmentSeconds: number;
  private readonly stallMs: number;
  private readonly startGraceMs: number;
  private readonly supervisor: Supervisor;

  private state: CameraStatus['state'] = 'starting';
  private since: number;
  private segments = 0;
  private invalidSegments = 0;
  /** Validated segments no storage path has taken yet, oldest first. */
  private readonly unstored: WaitingSegment[] = [];
  private unstoredSince: number | undefined;
  private runs = 0;
  readonly stream: number;
  /** Clock time of the latest segment, or of start(): how long the camera has recorded nothing. */
  private lastProgressAt = 0;
  private probingReach = false;
  private lastReachProbeAt = 0;
  private lastSegmentEndMs: number | undefined;
  private runId = '';
  /** Epoch ms the current run's listed times count from (see recordArgs' timeBaseSeconds). */
  private runTimeBaseMs = 0;
  /** Clock time the current run started, and of its latest segment: the watchdog's reference points. */
  private runStartedAt = 0;
  private runLastSegmentAt: number | undefined;
  private stallSignalled = false;
  private watchdog: NodeJS.Timeout | undefined;
  private mode: CameraStatus['mode'];
  private readonly bufferMs: number | undefined;
  /** Buffer mode: the held segments, oldest first; their files stay in staging. */
  private ring: WaitingSegment[] = [];
  /**
   * Runs started in buffer mode (runId → its staging file prefix) that may have files in staging:
   * what a buffer must delete that it never listed, such as a killed ffmpeg's unfinished file.
   */
  private readonly bufferRuns = new Map<string, string>();
  private lastBufferedRunId: string | undefined;
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
    this.since = this.clock.now();
    this.stagingDir = join(opts.stagingRoot, streamFolder(opts.cameraId, this.stream));
    this.segmentSeconds = opts.segmentSeconds ?? 1;
    this.stallMs = opts.stallMs ?? 6000;
    this.startGraceMs = opts.startGraceMs ?? 10_000;
    if (opts.buffer && !(Number.isFinite(opts.buffer.ms) && opts.buffer.ms >= 0))
      throw new Error(`bad buffer window ${opts.buffer.ms} ms`);
    this.bufferMs = opts.buffer?.ms;
    this.mode = opts.buffer ? 'buffer' : 'record';
    this.supervisor = new Supervisor({
      name: `ffmpeg-rec-${opts.cameraId}`,
      command: ffmpegPath(),
      args: () => {
        this.runId = newRunId();
        // ffmpeg stamps packets with the system clock, so the base comes from it too, not from `clock`.
        this.runTimeBaseMs = Math.floor(Date.now() / 1000) * 1000;
        if (this.mode === 'buffer')
          this.bufferRuns.set(this.runId, `${stagingPrefix(this.runTimeBaseMs / 1000, this.runId)}-`);
        return recordArgs({
          url: opts.url,
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
        if (!this.closing) this.markStalled();
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
    this.lastProgressAt = this.clock.now();
    mkdirSync(this.stagingDir, { recursive: true });
    this.log.info(
      {
        url: redactCredentials(this.opts.url),
        stagingDir: this.stagingDir,
        segmentSeconds: this.segmentSeconds,
        ...(this.bufferMs !== undefined && { bufferMs: this.bufferMs }),
      },
      'camera recorder starting',
    );
    this.supervisor.start();
    const tick = Math.max(50, Math.min(1000, Math.floor(Math.min(this.stallMs, this.startGraceMs) / 4)));
    this.watchdog = setInterval(() => this.checkStall(), tick);
  }

  /** A snapshot of the recorder's state. */
  status(): CameraStatus {
    return {
      state: this.state,
      lastSegmentEndMs: this.lastSegmentEndMs,
      segments: this.segments,
      invalidSegments: this.invalidSegments,
      unstoredSegments: this.unstored.length,
      restarts: Math.max(0, this.runs - 1),
      since: this.since,
      pid: this.supervisor.pid,
      mode: this.mode,
      buffered: this.ring.length,
    };
  }

  /** Buffer mode: the held segments, oldest first (a live relay plays them); none in record mode. */
  buffered(): BufferedSegment[] {
    return this.ring.map((w) => ({ file: w.staged, startMs: w.seg.startMs, endMs: w.seg.endMs, bytes: w.seg.bytes }));
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
      await Promise.race([this.stdoutDone, delay(DRAIN_TIMEOUT_MS)]);
      await this.work;
      if (this.mode === 'buffer') await this.discardBuffer();
      // Segments no storage path took yet outlive this recorder: the sink stores them when it can.
      if (this.unstored.length && this.opts.sink.adopt) this.opts.sink.adopt(this.unstored.splice(0));
      this.log.info({ segments: this.segments, invalidSegments: this.invalidSegments }, 'camera recorder closed');
    })();
    return this.closing;
  }

  private onRunStart(child: ChildProcess): void {
    const run = { runId: this.runId, timeBaseMs: this.runTimeBaseMs };
    this.runs++;
    this.runStartedAt = this.clock.now();
    this.runLastSegmentAt = undefined;
    this.stallSignalled = false;
    if (!child.stdout) return;
    const lines = createInterface({ input: child.stdout, crlfDelay: Infinity });
    lines.on('line', (line) => {
      this.work = this.work.then(() => this.handleLine(line, run));
    });
    this.stdoutDone = new Promise((resolve) => lines.once('close', () => resolve()));
  }

  private checkStall(): void {
    if (this.closing) return;
    const now = this.clock.now();
    this.judgeReach(now);
    if (this.stallSignalled || !this.supervisor.running) return;
    let reason: string | undefined;
    if (this.runLastSegmentAt === undefined) {
      if (now - this.runStartedAt >= this.startGraceMs)
        reason = `stall: no segment within ${this.startGraceMs} ms of start`;
    } else if (now - this.runLastSegmentAt >= this.stallMs) {
      reason = `stall: no segment for ${now - this.runLastSegmentAt} ms`;
    }
    if (!reason) return;
    this.stallSignalled = true; // once per run: the kill is under way
    this.markStalled();
    this.supervisor.restart(reason);
  }

  /** One list line: validate the segment, move it into storage, index it. Never throws. */
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
      const checked = await this.validate(staged, listedStartMs, endMs);
      if (typeof checked === 'string') {
        this.invalidSegments++;
        if (this.mode === 'buffer') {
          // Never committed anyway, and a buffer may be in memory (tmpfs): do not let them pile up.
          this.log.warn(
            { file: staged, reason: checked, startMs: listedStartMs, endMs, runId },
            'invalid segment dropped from the buffer',
          );
          await this.remove([staged]);
          return;
        }
        this.log.warn(
          { file: staged, reason: checked, startMs: listedStartMs, endMs, runId },
          'invalid segment left in staging',
        );
        return;
      }
      const { startMs, bytes } = checked;
      // ffmpeg delivers: that is progress for the watchdog, whether or not storage takes the segment.
      this.runLastSegmentAt = this.clock.now();
      this.lastProgressAt = this.runLastSegmentAt;
      this.setState('recording');
      const item = { staged, seg: { cameraId: this.opts.cameraId, stream: this.stream, startMs, endMs, bytes } };
      if (this.mode === 'buffer') {
        await this.hold(item, runId);
        return;
      }
      this.unstored.push(item);
      await this.storePending(runId);
    } catch (err) {
      this.log.error({ err, file: staged, runId }, 'storing segment failed');
    }
  }

  /**
   * Commits the validated segments waiting in staging, oldest first. When no storage path takes
   * them they stay, in order, and go with a later segment once a path is back: an outage of every
   * storage path leaves no hole once it ends (as long as the node's own disk holds the staging).
   */
  private async storePending(runId: string): Promise<void> {
    const emptied = await storeInOrder(this.unstored, this.opts.sink, {
      stored: (seg) => {
        this.segments++;
        this.lastSegmentEndMs = Math.max(this.lastSegmentEndMs ?? 0, seg.endMs);
        try {
          this.opts.onSegment?.(seg);
        } catch (err) {
          this.log.error({ err, path: seg.path }, 'onSegment callback failed');
        }
      },
      refused: ({ staged, seg }, err) => {
        this.invalidSegments++;
        const code = err instanceof VigilError ? err.code : undefined;
        this.log.warn(
          { file: staged, startMs: seg.startMs, runId, code, err: err instanceof Error ? err.message : String(err) },
          'segment left in staging: not stored',
        );
      },
    });
    if (!emptied && this.unstoredSince === undefined) {
      this.unstoredSince = this.clock.now();
      this.log.warn({ waiting: this.unstored.length }, 'no storage path takes segments: they wait in staging');
    } else if (emptied && this.unstoredSince !== undefined) {
      this.log.info(
        { waitedMs: this.clock.now() - this.unstoredSince },
        'storage takes segments again; the waiting ones are stored',
      );
      this.unstoredSince = undefined;
    }
  }

  /** Buffer mode: holds the segment and deletes those that fell out of the window. */
  private async hold(item: WaitingSegment, runId: string): Promise<void> {
    this.ring.push(item);
    const { keep, drop } = trimRing(this.ring, this.bufferMs ?? 0);
    this.ring = keep;
    await this.remove(drop.map((w) => w.staged));
    // A run's first segment means the runs before it are over: what they left unlisted is useless.
    if (runId !== this.lastBufferedRunId) {
      this.lastBufferedRunId = runId;
      await this.sweepBufferRuns(runId);
    }
  }

  /** promote()'s work, in turn with the segments. Never throws: the chain must go on. */
  private async commitBuffer(recordFromMs: number | undefined): Promise<void> {
    if (this.mode === 'record') return;
    this.mode = 'record';
    const { commit, drop } = splitForCommit(this.ring.splice(0), recordFromMs);
    this.unstored.push(...commit);
    this.log.info(
      { recordFromMs, committing: commit.length, dropped: drop.length },
      'buffered camera promoted: recording',
    );
    try {
      await this.remove(drop.map((w) => w.staged));
      // The running ffmpeg's files are recordings from now on; earlier buffer runs' leftovers are not.
      await this.sweepBufferRuns(this.runId);
      this.bufferRuns.clear();
      await this.storePending(this.runId);
    } catch (err) {
      this.log.error({ err }, 'committing the buffer failed');
    }
  }

  /** close() in buffer mode: nothing of the buffer outlives the recorder. */
  private async discardBuffer(): Promise<void> {
    await this.remove(this.ring.splice(0).map((w) => w.staged));
    await this.sweepBufferRuns();
  }

  /**
   * Deletes the files of buffer-mode runs other than `keepRunId` that no one holds (held: in the
   * ring or waiting for storage); forgets a run once nothing of it is held. Only this recorder's
   * runs: the staging folder may hold another recorder's segments a sink adopted.
   */
  private async sweepBufferRuns(keepRunId?: string): Promise<void> {
    let names: string[];
    try {
      names = await readdir(this.stagingDir);
    } catch {
      return;
    }
    const held = new Set([...this.ring, ...this.unstored].map((w) => basename(w.staged)));
    for (const [runId, prefix] of this.bufferRuns) {
      if (runId === keepRunId) continue;
      const files = names.filter((n) => n.startsWith(prefix));
      await this.remove(files.filter((n) => !held.has(n)).map((n) => join(this.stagingDir, n)));
      if (!files.some((n) => held.has(n))) this.bufferRuns.delete(runId);
    }
  }

  /** Deletes staged files; a failure is logged, not thrown (the file is only litter then). */
  private async remove(files: string[]): Promise<void> {
    await Promise.all(
      files.map((f) =>
        rm(f, { force: true }).catch((err: unknown) =>
          this.log.warn({ err, file: f }, 'deleting a buffered segment failed'),
        ),
      ),
    );
  }

  /** The segment's true start and size, or why it is invalid. */
  private async validate(
    file: string,
    listedStartMs: number | undefined,
    endMs: number,
  ): Promise<{ startMs: number; bytes: number } | string> {
    let fh: FileHandle;
    try {
      fh = await open(file, 'r');
    } catch {
      return 'file missing';
    }
    let bytes: number;
    let buf: Buffer;
    try {
      bytes = (await fh.stat()).size;
      if (bytes === 0) return 'file empty';
      // The head holds the PAT, the PMT and the first frame: enough to tell a stream from garbage.
      // The whole file is read only when its frames must time it (a run's first segment): reading
      // every byte of every segment cost more garbage collection than anything else the node does.
      const want = listedStartMs === undefined ? bytes : Math.min(bytes, VALIDATE_HEAD_BYTES);
      buf = Buffer.allocUnsafe(want);
      const { bytesRead } = await fh.read(buf, 0, want, 0);
      buf = buf.subarray(0, bytesRead - (bytesRead % 188));
    } finally {
      await fh.close();
    }
    const probe = probeTs(buf);
    if (!probe) return 'not an MPEG transport stream';
    if (probe.codec !== 'h264' && probe.codec !== 'hevc') return `unexpected video codec ${probe.codec ?? 'none'}`;
    if (!probe.frames.length) return 'no video frame';
    let startMs = listedStartMs;
    if (startMs === undefined) {
      const durationMs = mpegtsVideoDurationMs(buf);
      if (durationMs === undefined) return 'start unknown: fewer than two timed video frames';
      startMs = Math.round(endMs - durationMs);
    }
    if (!(endMs > startMs)) return `end ${endMs} not after start ${startMs}`;
    return { startMs, bytes };
  }

  /**
   * With nothing recorded for startGraceMs, asks whether the camera answers at all (at most every
   * 2 s, one probe at a time): a camera that does not is offline, a camera that does while nothing
   * gets recorded means recording cannot start on this server. Both stay until a segment arrives.
   */
  private judgeReach(now: number): void {
    if (this.state === 'recording' || this.probingReach || now - this.lastProgressAt < this.startGraceMs) return;
    if (now - this.lastReachProbeAt < REACH_PROBE_EVERY_MS) return;
    this.probingReach = true;
    this.lastReachProbeAt = now;
    const probe = this.opts.reachable ?? ((url: string) => rtspReachable(url, REACH_TIMEOUT_MS));
    void probe(this.opts.url)
      .catch(() => false)
      .then((up) => {
        this.probingReach = false;
        if (this.closing || this.state === 'recording') return;
        const next = up ? 'failing' : 'offline';
        if (next !== this.state)
          this.log.warn({ state: next }, up ? 'camera answers but recording cannot start' : 'camera offline');
        this.setState(next);
      });
  }

  /** offline and failing are verdicts about the camera that a restart does not change. */
  private markStalled(): void {
    if (this.state !== 'offline' && this.state !== 'failing') this.setState('stalled');
  }

  private setState(state: CameraStatus['state']): void {
    if (state === this.state) return;
    this.state = state;
    this.since = this.clock.now();
  }
}
