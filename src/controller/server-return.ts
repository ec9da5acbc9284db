import type { Store } from '../store/store.ts';
import type { FailoverRow } from '../store/rows.ts';
import type { Logger } from '../lib/log.ts';
import { planFailback } from './planner.ts';
import type { FarmState } from './farm-state.ts';
import type { Placement } from './placement.ts';
import type { Handovers } from './handovers.ts';
import type { FailoverRuns } from './failover-runs.ts';

/** The store operations a server's return uses. */
export type ReturnStore = Pick<Store, 'failovers' | 'setServerRuntime' | 'bumpGeneration'>;

/** What a server's return needs of the controller. */
export interface ReturnParent {
  state: Pick<FarmState, 'farm' | 'server' | 'group' | 'setState' | 'wake'>;
  placement: Pick<Placement, 'endRelays'>;
  runs: Pick<FailoverRuns, 'returned'>;
  handovers: Pick<Handovers, 'returned' | 'start' | 'has' | 'busy'>;
}

/**
 * A down server that speaks again, and automatic failback. By its group's choice it comes back
 * empty as a spare (Symphony), swaps roles with the server that took over (Mirasys), or gets its
 * cameras back (XProtect: after failbackAfterMs of health, or when an operator asks).
 */
export class ServerReturns {
  /** Servers back after a failure whose group fails back automatically: since when they are healthy. */
  private readonly healthySince = new Map<string, number>();

  constructor(
    private readonly p: ReturnParent,
    private readonly store: ReturnStore,
    private readonly log: Logger,
  ) {}

  /** The server is not healthy any more (down, drained) or fails back now: its health counts anew. */
  forget(serverId: string): void {
    this.healthySince.delete(serverId);
  }

  /** A down server speaks again. */
  async returned(serverId: string, now: number): Promise<void> {
    const { state } = this.p;
    await state.setState(serverId, 'up', null);
    const server = state.server(serverId);
    const group = state.group(server.group);
    await this.p.runs.returned(serverId, now);
    this.p.handovers.returned(serverId, now);
    // The whole log is read: the failover to look at may be from before a master restart.
    const last = (await this.store.failovers()).filter((f) => f.server === serverId && !f.detail.planned).at(-1);
    const targets = last?.detail.targets ?? [];
    const taker = targets.length === 1 ? targets[0] : undefined;
    await this.p.placement.endRelays(serverId);
    const farm = state.farm;
    let role = farm.cameras.some((c) => c.current === serverId) ? 'active' : 'redundant';
    if (group.onReturn === 'swap' && taker && farm.servers.some((s) => s.id === taker)) {
      const other = state.server(taker);
      for (const s of farm.servers)
        if (s.runtime.swappedWith === serverId || s.runtime.swappedWith === taker) s.runtime = withoutSwap(s.runtime);
      server.runtime = { ...server.runtime, swappedWith: taker };
      other.runtime = { ...other.runtime, swappedWith: serverId };
      for (const s of farm.servers) await this.store.setServerRuntime(s.id, s.runtime);
      role = `swapped with ${taker}`;
    }
    if (group.onReturn === 'failback') {
      if (group.failbackAfterMs !== undefined) this.healthySince.set(serverId, now);
      role =
        group.failbackAfterMs !== undefined
          ? `fails back after ${group.failbackAfterMs} ms of health`
          : 'fails back on request';
    }
    this.log.info({ server: serverId, role }, 'server came back');
    state.farm.generation = await this.store.bumpGeneration();
    state.wake();
  }

  /**
   * A new leader's failback timers, from the store: a server up and serving whose group fails back
   * after failbackAfterMs, whose last entry in the log is its failure's failover (no failback nor other
   * handover of it since) and whose cameras are elsewhere. Its health counts from `now`, never as
   * already elapsed under the last leader.
   */
  restore(failovers: readonly FailoverRow[], now: number): void {
    const farm = this.p.state.farm;
    for (const server of farm.servers) {
      const group = this.p.state.group(server.group);
      if (server.state !== 'up' || server.runtime.maintenance) continue;
      if (group.onReturn !== 'failback' || group.failbackAfterMs === undefined) continue;
      const last = failovers.filter((f) => f.server === server.id).at(-1);
      if (!last || last.detail.planned || !planFailback(farm, server.id).length) continue;
      this.healthySince.set(server.id, now);
    }
  }

  /** Automatic failback of servers that have been healthy for their group's failbackAfterMs. */
  async autoFailback(now: number): Promise<void> {
    for (const [id, since] of [...this.healthySince]) {
      const server = this.p.state.farm.servers.find((s) => s.id === id);
      const after = server && this.p.state.group(server.group).failbackAfterMs;
      if (!server || after === undefined || server.state === 'down' || server.runtime.maintenance) {
        this.healthySince.delete(id);
        continue;
      }
      if (server.state !== 'up') this.healthySince.set(id, now); // suspect: health counts anew
      if (server.state !== 'up' || now - since < after || this.p.handovers.busy(id)) continue;
      this.healthySince.delete(id);
      const moves = planFailback(this.p.state.farm, id).filter((m) => !this.p.handovers.has(m.camera));
      if (moves.length) await this.p.handovers.start(id, 'failback', moves, []);
    }
  }
}

function withoutSwap<T extends { swappedWith?: string }>(r: T): T {
  const { swappedWith: _, ...rest } = r;
  return rest as T;
}
