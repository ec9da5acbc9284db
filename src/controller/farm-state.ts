import type { CameraRow, FarmSnapshot, GroupRow, ServerRow, ServerState, Store } from '../store/store.ts';
import { VigilError } from '../lib/errors.ts';

/** The store operations the shared farm state uses. */
export type FarmStateStore = Pick<Store, 'snapshot' | 'setServerState'>;

/**
 * The farm as the controller and its parts share it: the snapshot (replaced whole when the
 * configuration changes or the store is read back), its small mutations, and the long polls
 * waiting for its generation to change.
 */
export class FarmState {
  /** The farm as the controller sees it; read it anew after every await, it may be replaced. */
  farm!: FarmSnapshot;
  private waiters: (() => void)[] = [];
  private closed = false;

  /** `term`: the leader term this controller decides under (its assignments carry it); unset, the store's. */
  constructor(
    private readonly store: FarmStateStore,
    /** The leader term (read back into every reload); Controller.resume moves it on. */
    public term?: number,
  ) {}

  /** Reads the farm back from the store. */
  async reload(): Promise<void> {
    const farm = await this.store.snapshot();
    if (this.term !== undefined) farm.term = this.term;
    this.farm = farm;
  }

  /** A server of the farm; NOT_FOUND when there is none. */
  server(id: string): ServerRow {
    const s = this.farm.servers.find((x) => x.id === id);
    if (!s) throw new VigilError('NOT_FOUND', `no server ${id}`, 404);
    return s;
  }

  /** A camera of the farm. */
  camera(id: string): CameraRow | undefined {
    return this.farm.cameras.find((c) => c.id === id);
  }

  /** A group's settings; a group the configuration does not name has no redundancy and no triggers. */
  group(id: number): GroupRow {
    return (
      this.farm.groups.find((g) => g.id === id) ?? {
        id,
        redundancy: false,
        policy: 'spare',
        onReturn: 'spare',
        triggers: [],
        failoverServers: [],
        secondaryFailoverServers: [],
      }
    );
  }

  /** Sets a server's state in the store and in memory. */
  async setState(id: string, state: ServerState, downSince: number | null): Promise<void> {
    const s = this.farm.servers.find((x) => x.id === id)!;
    s.state = state;
    s.downSince = downSince;
    await this.store.setServerState(id, state, downSince);
  }

  /** Wakes every long poll (they compare the generation themselves). */
  wake(): void {
    const w = this.waiters;
    this.waiters = [];
    for (const fn of w) fn();
  }

  /**
   * Resolves when the farm generation differs from `after`, after timeoutMs, on close, or when
   * `signal` aborts (a newer long poll of the same server, the client gone).
   */
  waitForChange(after: number, timeoutMs: number, signal?: AbortSignal): Promise<void> {
    if (this.farm.generation !== after || this.closed || signal?.aborted) return Promise.resolve();
    return new Promise((resolve) => {
      const done = () => {
        clearTimeout(t);
        signal?.removeEventListener('abort', stop);
        resolve();
      };
      const stop = () => {
        this.waiters = this.waiters.filter((w) => w !== done);
        done();
      };
      const t = setTimeout(stop, timeoutMs);
      signal?.addEventListener('abort', stop, { once: true });
      this.waiters.push(done);
    });
  }

  /** From now on long polls do not wait (the ones waiting end at the next wake). */
  close(): void {
    this.closed = true;
  }
}
