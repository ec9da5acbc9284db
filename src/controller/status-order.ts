/** How many earlier boots of a server are remembered, so a late status of one of them is known stale. */
const RETIRED_BOOTS = 8;

/** Where a server's statuses stand: the boot and sequence number of the last one taken. */
interface Position {
  bootId: string;
  seq: number | undefined;
  /** Boots of this server seen before the current one, newest last. */
  retired: string[];
}

/**
 * The order of each server's statuses (pure, no clock). A status is stale when its server sent a
 * newer one the master has taken already: a lower or equal `seq` of the same boot, or any status of
 * a boot that another one has replaced. A stale status changes nothing: it would put the master's
 * picture back to an older one (a server cut off whose last statuses arrive late, a node that gave
 * up on a slow POST and sent the next). Statuses without seq (older nodes) are taken as they come.
 */
export class StatusOrder {
  private readonly at = new Map<string, Position>();
  private readonly stale = new Map<string, number>();

  /** Whether to take this status; when taken it becomes the server's position. */
  admit(serverId: string, s: { bootId: string; seq?: number }): boolean {
    const p = this.at.get(serverId);
    if (p && p.bootId !== s.bootId && p.retired.includes(s.bootId)) return this.drop(serverId);
    if (p && p.bootId === s.bootId && s.seq !== undefined && p.seq !== undefined && s.seq <= p.seq)
      return this.drop(serverId);
    const retired = !p || p.bootId === s.bootId ? (p?.retired ?? []) : [...p.retired, p.bootId].slice(-RETIRED_BOOTS);
    this.at.set(serverId, { bootId: s.bootId, seq: s.seq ?? p?.seq, retired });
    return true;
  }

  /** How many statuses of a server were dropped as stale since the master started. */
  staleOf(serverId: string): number {
    return this.stale.get(serverId) ?? 0;
  }

  private drop(serverId: string): false {
    this.stale.set(serverId, this.staleOf(serverId) + 1);
    return false;
  }
}

/**
 * Whether a status may bring back a server confirmed down at `downSince` (the master's clock).
 *
 * The rule is causal, not a guess from clocks: the status must carry the master's time of an
 * answer the server got, later than the confirmation. Such an answer left the master after the
 * confirmation, so a status sent after the server read it is newer than the verdict, whatever the
 * server's clock says and however long the status then took to arrive. A status sent before the
 * verdict (held up in the network while the server was cut off, or waiting in the master's queue
 * while the tick confirmed it down) cannot carry one, and would revive a server that may still
 * be cut off: the next tick then confirms it down again, a second failover entry for the same
 * fault. The cost: a server that really returns is back one status interval later (its first
 * status gets the answer, its second carries it). The send time corrected by the estimated clock
 * offset would be cheaper but not sound: the estimate has the error of the round trips it is
 * made from, and a server whose clock jumped would pass.
 */
export function mayRevive(status: { answeredAtMs?: number }, downSince: number | null): boolean {
  if (downSince === null) return status.answeredAtMs !== undefined;
  return status.answeredAtMs !== undefined && status.answeredAtMs > downSince;
}
