import type { Store } from '../store/store.ts';
import type { FarmState } from './farm-state.ts';
import type { Move } from './planner.ts';
import type { FailoverDetail, FailoverStatus } from '../store/failover-log.ts';

/** The store operations camera placement uses. */
export type PlacementStore = Pick<Store, 'moveCameras' | 'setCameraRuntime' | 'commitMoves'>;

/**
 * Where cameras are recorded and relayed, in the store and in memory at once: failover moves,
 * completed handovers, live relays, and where a hot standby keeps its pre-buffer from.
 */
export class Placement {
  /** Hot standby takeovers: where the new owner keeps its pre-buffer from, by camera. */
  readonly recordFrom = new Map<string, number>();
  /** The end of the latest segment each server reported, by `camera@server` (main stream). */
  private readonly lastEnd = new Map<string, number>();

  constructor(
    private readonly state: Pick<FarmState, 'farm' | 'server' | 'group' | 'camera'>,
    private readonly store: PlacementStore,
  ) {}

  /** Notes the end of the main-stream segments a server delivered. */
  noteSegments(serverId: string, segments: { camera: string; stream?: number; endMs: number }[]): void {
    for (const seg of segments) {
      if (seg.stream) continue;
      const key = `${seg.camera}@${serverId}`;
      this.lastEnd.set(key, Math.max(this.lastEnd.get(key) ?? 0, seg.endMs));
    }
  }

  /**
   * Commits moves of a failed server: recorded ones change owner, live-only ones get a relay. With
   * `entry` (a failover's log entry as committed), it is written in the same transaction.
   */
  async applyMoves(
    from: string,
    moves: Move[],
    entry?: { id: number; status: FailoverStatus; detail: FailoverDetail },
  ): Promise<void> {
    const recorded = moves.filter((m) => m.mode === 'record');
    const group = this.state.group(this.state.server(from).group);
    for (const m of recorded) {
      // A hot standby keeps its pre-buffer from where the failed server's footage ends: no hole.
      const to = this.state.server(m.to);
      if (group.policy === 'hot') {
        const end = this.lastEnd.get(`${m.camera}@${from}`);
        if (end !== undefined && to.id !== from) this.recordFrom.set(m.camera, end);
      } else this.recordFrom.delete(m.camera);
    }
    const live = moves.filter((m) => m.mode === 'live');
    const relays = live.map((m) => ({ camera: m.camera, runtime: { relay: m.to } }));
    const owners = recorded.map((m) => ({ camera: m.camera, to: m.to }));
    if (entry) this.state.farm.generation = await this.store.commitMoves({ moves: owners, relays, entry });
    else {
      if (recorded.length) this.state.farm.generation = await this.store.moveCameras(owners);
      if (live.length) this.state.farm.generation = await this.store.setCameraRuntime(relays);
    }
    for (const m of recorded) Object.assign(this.state.camera(m.camera)!, { current: m.to, runtime: {} });
    for (const m of live) this.state.camera(m.camera)!.runtime = { relay: m.to };
  }

  /** Handovers whose new server records: ownership moves (the old servers stop once they see it). */
  async handOver(moves: { camera: string; to: string }[]): Promise<void> {
    this.state.farm.generation = await this.store.moveCameras(moves.map((m) => ({ camera: m.camera, to: m.to })));
    for (const m of moves) {
      this.recordFrom.delete(m.camera);
      Object.assign(this.state.camera(m.camera)!, { current: m.to, runtime: {} });
    }
  }

  /** Live relays of a server's cameras end: they are its own again. */
  async endRelays(serverId: string): Promise<void> {
    const relayed = this.state.farm.cameras.filter((c) => c.current === serverId && c.runtime.relay);
    if (!relayed.length) return;
    this.state.farm.generation = await this.store.setCameraRuntime(relayed.map((c) => ({ camera: c.id, runtime: {} })));
    for (const c of relayed) c.runtime = {};
  }
}
