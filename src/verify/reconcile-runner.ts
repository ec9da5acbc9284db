import { setTimeout as delay } from 'node:timers/promises';
import type { Store, FarmSnapshot } from '../store/store.ts';
import type { NodeClient } from '../node-client/node-client.ts';
import type { Logger } from '../lib/log.ts';
import { systemClock, type Clock } from '../lib/clock.ts';
import { errText } from '../lib/errors.ts';
import { digestKey, hourDigests, type HourDigest } from '../storage/index-digest.ts';
import type { Segment } from '../store/recordings.ts';
import type { RemovedSegment } from '../store/recording-segments.ts';
import { reconcileHour } from './reconcile.ts';

const HOUR = 3_600_000;
/** How far back a (re)connected server's intervals are reconciled when the farm settings do not say (ReconcileWindowMs). */
export const DEFAULT_RECONCILE_WINDOW_MS = 24 * HOUR;
/** Segments starting up to this far ahead of the master's clock are reconciled too (a server's clock may be ahead). */
const AHEAD_MS = 60_000;
/** Tries while the server's API is not up yet (its first statuses may come before it listens), 0.5 s doubling. */
const TRIES = 7;
const CALL_TIMEOUT_MS = 30_000;

/** What reconciling reads and changes. */
export interface ReconcilePorts {
  store: Pick<Store, 'segments' | 'addRecordings' | 'removeSegments'>;
  farm: () => FarmSnapshot;
  apiUrlOf: (server: string) => string | undefined;
  client: Pick<NodeClient, 'indexDigest' | 'segments'>;
  log: Logger;
  clock?: Clock;
}

/** What one reconcile of a server changed. */
export interface ReconcileResult {
  hoursCompared: number;
  hoursDiffering: number;
  added: number;
  removed: number;
  /** Segments of cameras the server never had: kept out of the timeline. */
  refused: number;
}

/**
 * Reconcile at (re)connect: a server's segments at the master over the recent window are brought in
 * step with its local index, both ways — what it recorded while cut off from the master or just
 * before it died is added, what the master has that its index no longer holds is removed (only that
 * server's rows). The two sides are compared by hourly digests; only hours that differ are listed.
 * The master's rows are read before the server's index, so a segment reported meanwhile is never
 * taken for one the server lost. One run per server at a time; a reconnection during a run runs it again.
 */
export class ServerReconcile {
  private readonly running = new Map<string, Promise<void>>();
  private readonly again = new Set<string>();
  private readonly clock: Clock;
  private closed = false;

  constructor(private readonly p: ReconcilePorts) {
    this.clock = p.clock ?? systemClock;
  }

  /** Starts reconciling a server (in the background). */
  start(server: string): void {
    if (this.closed) return;
    if (this.running.has(server)) {
      this.again.add(server);
      return;
    }
    const run = this.runWithRetries(server).finally(() => {
      this.running.delete(server);
      if (this.again.delete(server)) this.start(server);
    });
    this.running.set(server, run);
  }

  /** Waits for the runs under way; no new one starts. */
  async close(): Promise<void> {
    this.closed = true;
    this.again.clear();
    await Promise.allSettled([...this.running.values()]);
  }

  /** Resolves once no run of `server` is under way (tests). */
  async settled(server: string): Promise<void> {
    while (this.running.has(server)) await this.running.get(server);
  }

  private async runWithRetries(server: string): Promise<void> {
    let wait = 500;
    for (let i = 1; i <= TRIES && !this.closed; i++) {
      try {
        const r = await this.reconcile(server);
        if (r.added || r.removed || r.refused)
          this.p.log.info({ server, ...r }, 'timeline reconciled with the server index');
        return;
      } catch (err) {
        if (i === TRIES) {
          this.p.log.warn({ server, err: errText(err) }, 'timeline not reconciled: the server did not answer');
          return;
        }
        await delay(wait);
        wait *= 2;
      }
    }
  }

  /** One reconcile of a server over the window ending now; throws when the server does not answer. */
  async reconcile(server: string): Promise<ReconcileResult> {
    const farm = this.p.farm();
    // A store written before the setting existed has none: the default.
    const windowMs = Math.min(
      farm.settings.ReconcileWindowMs ?? DEFAULT_RECONCILE_WINDOW_MS,
      DEFAULT_RECONCILE_WINDOW_MS,
    );
    const result: ReconcileResult = { hoursCompared: 0, hoursDiffering: 0, added: 0, removed: 0, refused: 0 };
    if (windowMs <= 0) return result;
    const base = this.p.apiUrlOf(server);
    if (!base) throw new Error('it has not told which port its API listens on');
    const now = this.clock.now();
    const from = now - windowMs;
    const to = now + AHEAD_MS;
    // The master's side first (see the class comment).
    const pairs = farm.cameras.flatMap((c) =>
      [0, ...(c.streams ?? []).map((_, i) => i + 1)].map((stream) => ({ camera: c.id, stream })),
    );
    const mine = new Map<string, HourDigest>();
    const hadRows = new Set<string>();
    for (const { camera, stream } of pairs) {
      const rows = (await this.p.store.segments(camera, from, to, stream, server)).filter(
        (s) => s.startMs >= from && s.startMs < to,
      );
      if (rows.length) hadRows.add(camera);
      for (const d of hourDigests(rows.map((r) => ({ ...r, camera, stream })))) mine.set(digestKey(d), d);
    }
    const signal = () => AbortSignal.timeout(CALL_TIMEOUT_MS);
    const theirs = new Map(
      (await this.p.client.indexDigest(base, { from, to }, signal())).map((d) => [digestKey(d), d]),
    );
    const keys = new Set([...mine.keys(), ...theirs.keys()]);
    result.hoursCompared = keys.size;
    const adds: Segment[] = [];
    const removes: RemovedSegment[] = [];
    const configured = new Map(farm.cameras.map((c) => [c.id, c]));
    for (const key of keys) {
      const a = mine.get(key);
      const b = theirs.get(key);
      if (a && b && a.digest === b.digest) continue;
      result.hoursDiffering++;
      const { camera, stream, hourMs } = (a ?? b)!;
      const lo = Math.max(hourMs, from);
      const hi = Math.min(hourMs + HOUR, to);
      const inHour = (s: { startMs: number }) => s.startMs >= lo && s.startMs < hi;
      const master = (await this.p.store.segments(camera, lo, hi, stream, server)).filter(inHour);
      const node = (await this.p.client.segments(base, { camera, stream, from: lo, to: hi }, signal())).filter(inHour);
      const plan = reconcileHour(master, node);
      const c = configured.get(camera);
      // A server may put back footage of a camera that is (or was, by the master's rows) its own: never another's.
      const may = c !== undefined && (c.home === server || c.current === server || hadRows.has(camera));
      if (may)
        adds.push(
          ...plan.add.map((s) => ({
            camera,
            stream,
            startMs: s.startMs,
            endMs: s.endMs,
            bytes: s.bytes,
            sha256: s.sha256,
            recordedBy: s.recordedBy,
          })),
        );
      else result.refused += plan.add.length;
      removes.push(
        ...plan.remove.map((s) => ({ camera, stream, startMs: s.startMs, endMs: s.endMs, recordedBy: s.recordedBy })),
      );
    }
    if (adds.length) await this.p.store.addRecordings(server, adds);
    if (removes.length) await this.p.store.removeSegments(server, removes);
    result.added = adds.length;
    result.removed = removes.length;
    return result;
  }
}
