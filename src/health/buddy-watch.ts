import type { Alive } from './alive-codec.ts';

export interface WatchSettings {
  missedMs: number; // FarmHealthMissedUdpMs
  startDelayMs: number; // FarmHealthStartDelayMs
  replayWindowMs: number; // an Alive stamped further than this from our clock is stale
}

/**
 * How far an Alive's send time may be from the receiver's clock: 3 × FarmHealthMissedUdpMs. Short,
 * so a captured datagram cannot stand for its sender for long (a replay within it is caught by its
 * sequence number); the servers of a farm keep NTP time, which the footage needs anyway. Pure.
 */
export function aliveWindowMs(missedMs: number): number {
  return 3 * missedMs;
}

export type Verdict = 'accepted' | 'unknown-sender' | 'replay' | 'stale';

interface Peer {
  lastHeard: number;
  bootId?: string;
  seq: bigint;
  sentAt: number;
}

/**
 * What one server knows of its buddies: the last valid Alive of each, and which ones have been
 * silent for longer than FarmHealthMissedUdpMs. Pure: the caller passes the time in.
 */
export class BuddyWatch {
  private readonly peers = new Map<string, Peer>();

  constructor(
    private readonly s: WatchSettings,
    private readonly startedAt: number,
  ) {}

  /** New buddy list; a newly added buddy gets a full threshold of grace before it can be suspected. */
  setBuddies(ids: readonly string[], now: number): void {
    for (const id of [...this.peers.keys()]) if (!ids.includes(id)) this.peers.delete(id);
    for (const id of ids) if (!this.peers.has(id)) this.peers.set(id, { lastHeard: now, seq: -1n, sentAt: 0 });
  }

  buddies(): string[] {
    return [...this.peers.keys()].sort();
  }

  /** Judges an authenticated Alive: only a buddy's fresh, never-seen datagram counts. */
  receive(a: Alive, now: number): Verdict {
    const p = this.peers.get(a.sender);
    if (!p) return 'unknown-sender';
    if (Math.abs(now - a.sentAt) > this.s.replayWindowMs) return 'stale';
    const boot = a.bootId.toString('hex');
    if (boot === p.bootId ? a.seq <= p.seq : a.sentAt <= p.sentAt) return 'replay';
    p.bootId = boot;
    p.seq = a.seq;
    p.sentAt = a.sentAt;
    p.lastHeard = now;
    return 'accepted';
  }

  /** Buddies silent past the threshold; none before FarmHealthStartDelayMs has passed since start. */
  suspects(now: number): string[] {
    if (now - this.startedAt < this.s.startDelayMs) return [];
    return [...this.peers]
      .filter(([, p]) => now - p.lastHeard > this.s.missedMs)
      .map(([id]) => id)
      .sort();
  }
}
