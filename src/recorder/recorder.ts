import type { Logger } from '../lib/log.ts';
import { CameraRecorder, type CameraStatus } from './camera-recorder.ts';
import { assertSafeId } from './layout.ts';
import type { IndexedSegment, LocalIndex } from './local-index.ts';

/** A camera this node should record. */
export interface CameraAssignment {
  id: string;
  /** RTSP URL; may carry credentials. */
  url: string;
}

/** Settings shared by all of a node's camera recorders. */
export interface RecorderOptions {
  nodeId: string;
  storageRoot: string;
  index: LocalIndex;
  log: Logger;
  segmentSeconds?: number;
  stallMs?: number;
  onSegment?: (seg: IndexedSegment) => void;
}

/**
 * The recording server's set of camera recorders, kept equal to the cameras assigned to this node.
 * Calls to apply() are serialised, so a quick succession of assignments settles in order.
 */
export class Recorder {
  private readonly cameras = new Map<string, { url: string; rec: CameraRecorder }>();
  private queue: Promise<void> = Promise.resolve();
  private closed = false;

  constructor(private readonly opts: RecorderOptions) {}

  /**
   * Makes the running set equal to `cameras`: starts new ones, stops removed ones and restarts a
   * camera whose url changed (the old ffmpeg is stopped first, so a camera never has two sessions).
   * Resolves when the changes are done; rejects, changing nothing, on an unsafe or duplicate id.
   */
  apply(cameras: CameraAssignment[]): Promise<void> {
    const wanted = new Map<string, string>();
    try {
      for (const c of cameras) {
        assertSafeId('camera', c.id);
        if (wanted.has(c.id)) throw new Error(`duplicate camera id ${JSON.stringify(c.id)}`);
        wanted.set(c.id, c.url);
      }
    } catch (err) {
      return Promise.reject(err);
    }
    const run = this.queue.then(() => this.reconcile(wanted));
    this.queue = run.catch(() => {});
    return run;
  }

  /** Each running camera's status, by camera id. */
  status(): Record<string, CameraStatus> {
    const out: Record<string, CameraStatus> = {};
    for (const [id, { rec }] of this.cameras) out[id] = rec.status();
    return out;
  }

  /** Stops every camera gracefully (each lists and indexes its last segment). */
  async close(): Promise<void> {
    this.closed = true;
    await this.queue;
    const all = [...this.cameras.values()].map(({ rec }) => rec.close());
    this.cameras.clear();
    await Promise.all(all);
  }

  private async reconcile(wanted: Map<string, string>): Promise<void> {
    if (this.closed) return;
    const stopping: Promise<void>[] = [];
    const changed: string[] = [];
    for (const [id, { url, rec }] of this.cameras) {
      const next = wanted.get(id);
      if (next === url) continue;
      this.cameras.delete(id);
      stopping.push(rec.close());
      if (next !== undefined) changed.push(id);
    }
    // Brand-new cameras need not wait for the others to stop.
    for (const [id, url] of wanted) if (!this.cameras.has(id) && !changed.includes(id)) this.startCamera(id, url);
    await Promise.all(stopping);
    if (this.closed) return;
    for (const id of changed) this.startCamera(id, wanted.get(id)!);
  }

  private startCamera(id: string, url: string): void {
    const { nodeId, storageRoot, index, log, segmentSeconds, stallMs, onSegment } = this.opts;
    const rec = new CameraRecorder({ nodeId, cameraId: id, url, storageRoot, index, log, segmentSeconds, stallMs, onSegment });
    this.cameras.set(id, { url, rec });
    rec.start();
  }
}
