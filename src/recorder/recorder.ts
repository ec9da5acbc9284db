import type { Logger } from '../lib/log.ts';
import type { AssignedCamera } from '../protocol/assignment.ts';
import { CameraRecorder, type BufferedSegment, type CameraStatus } from './camera-recorder.ts';
import { assertSafeId, streamFolder } from '../storage/layout.ts';
import type { IndexedSegment } from '../storage/local-index.ts';
import type { SegmentSink } from '../storage/segment-sink.ts';
import { CameraUrlRedirect } from './url-redirect.ts';

/**
 * A camera this node should record: the recorder's part of the assigned camera (src/protocol), which
 * says what each field means (`buffer`: hot-standby pre-buffer; `recordFromMs`: where a promoted
 * pre-buffer starts being kept).
 */
export type CameraAssignment = Pick<AssignedCamera, 'id' | 'url' | 'audio' | 'streams' | 'buffer' | 'recordFromMs'>;

/** One camera's recorder states: the main stream's, and each further stream's in order. */
export interface CameraStreamsStatus extends CameraStatus {
  streams?: CameraStatus[];
}

/** Settings shared by all of a node's camera recorders. */
export interface RecorderOptions {
  nodeId: string;
  stagingRoot: string;
  /** Where buffered cameras stage instead of stagingRoot (a tmpfs keeps the pre-buffer in memory). */
  bufferRoot?: string;
  sink: SegmentSink;
  log: Logger;
  segmentSeconds?: number;
  stallMs?: number;
  onSegment?: (seg: IndexedSegment) => void;
  /** CA file every rtsps camera's certificate must chain to (none: rtsps is encrypted, not verified). */
  tlsCaFile?: string;
  /** Node time → farm time for segments timed by arrival (the FarmClock's toFarm; default identity). */
  toFarm?: (nodeMs: number) => number;
}

/**
 * The recording server's set of camera recorders, kept equal to the cameras assigned to this node.
 * Calls to apply() are serialised, so a quick succession of assignments settles in order.
 */
export class Recorder {
  /** By streamFolder name (`cam`, `cam~1`): one recorder per camera stream. */
  private readonly cameras = new Map<string, { key: string; bufferMs?: number; rec: CameraRecorder }>();
  private queue: Promise<void> = Promise.resolve();
  private closed = false;
  /** Keeps camera passwords off ffmpeg's command line (see url-redirect.ts); cameras start once it listens. */
  private readonly redirect: CameraUrlRedirect;
  private readonly redirectReady: Promise<void>;

  constructor(private readonly opts: RecorderOptions) {
    this.redirect = new CameraUrlRedirect({ log: opts.log });
    this.redirectReady = this.redirect.start().then(
      (on) => {
        if (!on)
          opts.log.warn(
            "camera URLs go on ffmpeg's command line (no /proc/net/tcp to check who asks for them): see docs/security.md",
          );
      },
      (err: unknown) =>
        opts.log.error({ err }, "camera URL redirect unavailable: camera URLs go on ffmpeg's command line"),
    );
  }

  /**
   * Makes the running set equal to `cameras`: starts new ones, stops removed ones and restarts a
   * camera whose url changed (the old ffmpeg is stopped first, so a camera never has two sessions).
   * A buffered camera assigned without `buffer` is promoted in place, its ffmpeg running on; one
   * going into buffer mode, or changing its window, is restarted. Resolves when the changes are
   * done; rejects, changing nothing, on an unsafe or duplicate id or a bad buffer setting.
   */
  apply(cameras: CameraAssignment[]): Promise<void> {
    const wanted = new Map<string, StreamPlan>();
    try {
      for (const c of cameras) {
        assertSafeId('camera', c.id);
        if (wanted.has(streamFolder(c.id))) throw new Error(`duplicate camera id ${JSON.stringify(c.id)}`);
        if (c.buffer && !(Number.isFinite(c.buffer.ms) && c.buffer.ms >= 0))
          throw new Error(`bad buffer window for camera ${JSON.stringify(c.id)}`);
        if (c.recordFromMs !== undefined && !Number.isFinite(c.recordFromMs))
          throw new Error(`bad recordFromMs for camera ${JSON.stringify(c.id)}`);
        const all = [{ url: c.url, audio: c.audio }, ...(c.streams ?? [])];
        const { recordFromMs } = c;
        const bufferMs = c.buffer?.ms;
        all.forEach((st, stream) => {
          const audio = st.audio ?? true;
          wanted.set(streamFolder(c.id, stream), {
            cameraId: c.id,
            stream,
            url: st.url,
            audio,
            key: JSON.stringify([st.url, audio]),
            bufferMs,
            recordFromMs,
          });
        });
      }
    } catch (err) {
      return Promise.reject(err);
    }
    const run = this.queue.then(() => this.reconcile(wanted));
    this.queue = run.catch(() => {});
    return run;
  }

  /** Each running camera's status, by camera id. */
  status(): Record<string, CameraStreamsStatus> {
    const out: Record<string, CameraStreamsStatus> = {};
    const extra: [string, number, CameraStatus][] = [];
    for (const { rec } of this.cameras.values()) {
      if (rec.stream === 0) out[rec.cameraId] = rec.status();
      else extra.push([rec.cameraId, rec.stream, rec.status()]);
    }
    for (const [id, stream, st] of extra.sort((a, b) => a[1] - b[1])) {
      const main = out[id];
      if (!main) continue;
      main.streams ??= [];
      main.streams[stream - 1] = st;
    }
    return out;
  }

  /** The pre-buffer of a buffered camera stream, oldest first; empty when it is not buffered here. */
  buffered(cameraId: string, stream: number): BufferedSegment[] {
    const running = this.cameras.get(streamFolder(cameraId, stream));
    return running?.bufferMs === undefined ? [] : running.rec.buffered();
  }

  /** Stops every camera gracefully (each lists and indexes its last segment). */
  async close(): Promise<void> {
    this.closed = true;
    await this.queue;
    const all = [...this.cameras.values()].map(({ rec }) => rec.close());
    this.cameras.clear();
    await Promise.all(all);
    await this.redirect.close();
  }

  private async reconcile(wanted: Map<string, StreamPlan>): Promise<void> {
    await this.redirectReady;
    if (this.closed) return;
    const stopping: Promise<void>[] = [];
    const changed: string[] = [];
    const promoting: Promise<void>[] = [];
    for (const [id, running] of this.cameras) {
      const { key, rec } = running;
      const next = wanted.get(id);
      // Going into buffer mode, or to another window, restarts the camera (rare, and simplest).
      if (next?.key === key && (next.bufferMs === undefined || next.bufferMs === running.bufferMs)) {
        // Buffer → record: ffmpeg runs on, so the timeline has no restart's hole at the takeover.
        if (running.bufferMs !== undefined && next.bufferMs === undefined) {
          running.bufferMs = undefined;
          promoting.push(rec.promote(next.recordFromMs));
        }
        continue;
      }
      this.cameras.delete(id);
      stopping.push(rec.close());
      if (next !== undefined) changed.push(id);
    }
    // Brand-new cameras need not wait for the others to stop.
    const starting: Promise<void>[] = [];
    for (const [id, plan] of wanted)
      if (!this.cameras.has(id) && !changed.includes(id)) starting.push(this.startCamera(id, plan));
    await Promise.all([...stopping, ...promoting]);
    if (this.closed) return;
    for (const id of changed) starting.push(this.startCamera(id, wanted.get(id)!));
    await Promise.all(starting);
  }

  private startCamera(id: string, plan: StreamPlan): Promise<void> {
    const { nodeId, stagingRoot, bufferRoot, sink, log, segmentSeconds, stallMs, onSegment } = this.opts;
    const { cameraId, stream, url, audio, key, bufferMs } = plan;
    const buffer = bufferMs === undefined ? undefined : { ms: bufferMs };
    const root = buffer && bufferRoot !== undefined ? bufferRoot : stagingRoot;
    const rec = new CameraRecorder({
      nodeId,
      cameraId,
      stream,
      url,
      audio,
      stagingRoot: root,
      sink,
      log,
      segmentSeconds,
      stallMs,
      onSegment,
      buffer,
      ffmpegUrl: (u) => this.redirect.ffmpegUrl(u),
      tlsCaFile: this.opts.tlsCaFile,
      toFarm: this.opts.toFarm,
    });
    this.cameras.set(id, { key, bufferMs, rec });
    return rec.start();
  }
}

interface StreamPlan {
  cameraId: string;
  stream: number;
  url: string;
  audio: boolean;
  /** What makes a running recorder still right: a change restarts it. Not the mode: see reconcile. */
  key: string;
  bufferMs?: number;
  recordFromMs?: number;
}
