import type { Logger } from '../lib/log.ts';
import type { NodeStatus } from '../protocol/status.ts';

/** ClockSkewWarnMs when the stored settings predate it. */
export const DEFAULT_CLOCK_SKEW_WARN_MS = 500;

/** A server's clock as GET /api/v1/servers shows it (see ServerClockView in api/schemas.ts). */
export interface ServerClock {
  /** The server's clock − farm time (ms): its own estimate from status round trips, else the master's. */
  offsetMs: number | null;
  /** The round trip the server's estimate rests on (null: the master's figure is shown). */
  rttMs: number | null;
  /** The master's own figure: the status's send time − its arrival, the least delayed of the recent ones. */
  masterEstimateMs: number | null;
  warning?: string;
}

/** Statuses the master's own estimate looks back over (the least delayed of them is the best). */
const MASTER_WINDOW = 16;

/**
 * Whether a clock is off farm time beyond the bound, in words; undefined when it is within it. The
 * master's own figure is short of the truth by the status's one-way delay (a lower bound): a server
 * whose estimate contradicts it beyond the bound is named too (a broken estimator, a node that lies).
 */
export function clockWarning(
  offsetMs: number | null,
  boundMs: number,
  masterEstimateMs: number | null = null,
): string | undefined {
  if (offsetMs !== null && Math.abs(offsetMs) > boundMs)
    return `clock ${offsetMs > 0 ? '+' : ''}${Math.round(offsetMs)} ms off farm time (bound ${boundMs} ms)`;
  if (offsetMs !== null && masterEstimateMs !== null && masterEstimateMs - offsetMs > boundMs)
    return `its clock estimate (${Math.round(offsetMs)} ms) contradicts the master's (at least ${Math.round(masterEstimateMs)} ms)`;
  return undefined;
}

/**
 * What the master knows of each recording server's clock, and of each of its cameras', from the
 * statuses: the server's own round-trip estimate is the figure, the master's arrival-based one a
 * cross-check. A warning is logged once when it starts and once when it clears, not per status.
 * Kept in memory only: the next statuses after a master restart tell it again.
 */
export class ServerClocks {
  private readonly servers = new Map<string, { own: number[]; clock?: NodeStatus['clock']; warned: boolean }>();
  /** `<server>/<camera>` of the cameras warned of. */
  private readonly cameraWarned = new Set<string>();

  constructor(private readonly o: { log: Logger; boundMs: () => number }) {}

  /** A status of `serverId` that arrived at `arrivedAtMs` (the master's clock). */
  heard(serverId: string, status: Pick<NodeStatus, 'clock' | 'cameras'>, arrivedAtMs: number): void {
    const entry = this.servers.get(serverId) ?? { own: [], warned: false };
    this.servers.set(serverId, entry);
    entry.clock = status.clock;
    const bound = this.o.boundMs();
    if (status.clock && Number.isFinite(status.clock.sentAtMs)) {
      const figure = status.clock.sentAtMs - arrivedAtMs;
      // A figure far below the window's best that the server's own estimate confirms is a clock
      // that stepped back, not a delayed status: the older figures no longer count.
      const own = status.clock.offsetMs;
      if (own !== undefined && Math.max(...entry.own) - figure > bound && Math.abs(own - figure) <= bound)
        entry.own = [];
      entry.own.push(figure);
      if (entry.own.length > MASTER_WINDOW) entry.own.shift();
    }
    // Logged when the warning starts or clears: its figure changes with every status.
    const view = this.of(serverId);
    if (!!view?.warning !== entry.warned) {
      if (view?.warning) this.o.log.warn({ server: serverId, ...view, boundMs: bound }, 'server clock off farm time');
      else this.o.log.info({ server: serverId, offsetMs: view?.offsetMs ?? null }, 'server clock within bound again');
      entry.warned = !!view?.warning;
    }
    for (const [camera, st] of Object.entries(status.cameras)) {
      const key = `${serverId}/${camera}`;
      const warned = clockWarning(st.clockOffsetMs ?? null, bound) !== undefined;
      if (warned === this.cameraWarned.has(key)) continue;
      if (warned) {
        this.o.log.warn(
          { server: serverId, camera, clockOffsetMs: st.clockOffsetMs, boundMs: bound },
          'camera clock off farm time',
        );
        this.cameraWarned.add(key);
      } else {
        this.o.log.info({ server: serverId, camera }, 'camera clock within bound again');
        this.cameraWarned.delete(key);
      }
    }
  }

  /** A server's clock; undefined before its first status since the master started. */
  of(serverId: string): ServerClock | undefined {
    const entry = this.servers.get(serverId);
    if (!entry) return undefined;
    const masterEstimateMs = entry.own.length ? Math.round(Math.max(...entry.own)) : null;
    const own = entry.clock?.offsetMs;
    const offsetMs = own ?? masterEstimateMs;
    const warning = clockWarning(offsetMs, this.o.boundMs(), own === undefined ? null : masterEstimateMs);
    return {
      offsetMs,
      rttMs: own === undefined ? null : (entry.clock?.rttMs ?? null),
      masterEstimateMs,
      ...(warning && { warning }),
    };
  }

  /** A camera's clock warning as its recording server reports it (undefined: within the bound or unknown). */
  cameraWarning(clockOffsetMs: number | undefined): string | undefined {
    return clockWarning(clockOffsetMs ?? null, this.o.boundMs());
  }
}
