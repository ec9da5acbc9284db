import type { EventHub } from './event-hub.ts';
import { cameraKey, copyBackKey, serverKey } from './view-keys.ts';

/** The renderings the watch compares: the same functions the read API answers with. */
export interface FarmRenderings {
  servers: () => { id: string }[];
  cameras: () => { id: string }[];
  copybacks: () => { id: string }[];
}

/** How long changes marked together wait to be rendered once (a status names many cameras at once). */
export const COALESCE_MS = 20;

/**
 * Turns the farm's committed changes into the service channel's events. A commit point (a status
 * taken, a store write of the failover log or of a server's state, a configuration applied) calls
 * `mark()`; within COALESCE_MS the watch renders the servers, cameras and copy-back jobs once and
 * publishes each one whose rendering changed (by view-keys.ts: noise such as status times does not
 * count), stamped with the time of the first mark, so `atMs` is the commit's time, not the render's.
 * A job that left the list is `copyback-done`. `tickMs` re-renders that often regardless: a server's
 * health turns suspect by the mere passing of time (its status is late), which no write marks.
 */
export class FarmWatch {
  private readonly last = { server: new Map<string, string>(), camera: new Map<string, string>() };
  private readonly jobs = new Map<string, string>();
  private markedAt: number | undefined;
  private timer: ReturnType<typeof setTimeout> | undefined;
  private readonly ticker: ReturnType<typeof setInterval> | undefined;

  constructor(
    private readonly hub: EventHub,
    private readonly render: FarmRenderings,
    private readonly o: { now?: () => number; tickMs?: number; onError?: (err: unknown) => void } = {},
  ) {
    // The baseline: what a snapshot now would show, so only later changes are events.
    this.flush(false);
    if (o.tickMs) {
      this.ticker = setInterval(() => this.mark(), o.tickMs);
      this.ticker.unref();
    }
  }

  /** A change was committed: render and publish within COALESCE_MS. */
  mark(): void {
    this.markedAt ??= (this.o.now ?? Date.now)();
    if (this.timer) return;
    this.timer = setTimeout(() => {
      this.timer = undefined;
      this.flush(true);
    }, COALESCE_MS);
    this.timer.unref();
  }

  /** Stops the timers. */
  close(): void {
    clearTimeout(this.timer);
    clearInterval(this.ticker);
  }

  /** Renders now and publishes what changed (publish false: only learn the baseline). */
  flush(publish = true): void {
    const atMs = this.markedAt ?? (this.o.now ?? Date.now)();
    this.markedAt = undefined;
    try {
      this.compare('server', this.render.servers(), serverKey, atMs, publish);
      this.compare('camera', this.render.cameras(), cameraKey, atMs, publish);
      const seen = new Set<string>();
      for (const job of this.render.copybacks()) {
        seen.add(job.id);
        const key = copyBackKey(job as Record<string, unknown>);
        if (this.jobs.get(job.id) === key) continue;
        this.jobs.set(job.id, key);
        if (publish) this.hub.publish('copyback', job, atMs);
      }
      for (const id of [...this.jobs.keys()])
        if (!seen.has(id)) {
          this.jobs.delete(id);
          if (publish) this.hub.publish('copyback-done', { id }, atMs);
        }
    } catch (err) {
      // The store being out makes some renderings throw: the next mark tries again.
      this.o.onError?.(err);
    }
  }

  private compare(
    type: 'server' | 'camera',
    views: { id: string }[],
    key: (v: Record<string, unknown>) => string,
    atMs: number,
    publish: boolean,
  ): void {
    const last = this.last[type];
    for (const v of views) {
      const k = key(v as Record<string, unknown>);
      if (last.get(v.id) === k) continue;
      last.set(v.id, k);
      if (publish) this.hub.publish(type, v, atMs);
    }
  }
}
