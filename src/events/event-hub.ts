/** One message of the service channel: its id (`<boot>.<seq>`), type, and envelope. */
export interface ChannelEvent {
  id: string;
  seq: number;
  type: string;
  atMs: number;
  value: unknown;
}

/** What a reconnecting client gets: the events it missed, or nothing to replay (it needs a snapshot). */
export type Resume = { replay: ChannelEvent[] } | { snapshot: true };

/** How many events the hub keeps for clients that reconnect (about a minute of a busy farm). */
export const RING_SIZE = 2000;

/**
 * The service channel's events in order: numbered per master boot, the last `ringSize` kept, so a
 * client that reconnects with Last-Event-ID gets exactly what it missed — or, when its id is of
 * another boot, malformed, or older than the ring holds, is told to take a snapshot. Never a silent
 * hole. Pure apart from the subscribers it calls.
 */
export class EventHub {
  private readonly ring: ChannelEvent[] = [];
  private seq = 0;
  private readonly subscribers = new Set<(e: ChannelEvent) => void>();

  constructor(
    readonly bootId: string,
    private readonly now: () => number = Date.now,
    private readonly ringSize = RING_SIZE,
  ) {}

  /** Numbers, keeps and hands out one event; `atMs` is when its change was committed (default now). */
  publish(type: string, value: unknown, atMs = this.now()): ChannelEvent {
    const seq = ++this.seq;
    const e: ChannelEvent = { id: `${this.bootId}.${seq}`, seq, type, atMs, value };
    this.ring.push(e);
    if (this.ring.length > this.ringSize) this.ring.splice(0, this.ring.length - this.ringSize);
    for (const fn of this.subscribers) fn(e);
    return e;
  }

  /** The sequence number of the last event published (0 before any). */
  get lastSeq(): number {
    return this.seq;
  }

  /** The id the next snapshot stands at: a client holding it has seen everything up to now. */
  get lastId(): string {
    return `${this.bootId}.${this.seq}`;
  }

  /** What a client that last saw `lastEventId` needs (undefined: a new client, a snapshot). */
  resume(lastEventId: string | undefined): Resume {
    if (!lastEventId) return { snapshot: true };
    const dot = lastEventId.lastIndexOf('.');
    const boot = lastEventId.slice(0, dot);
    const seq = Number(lastEventId.slice(dot + 1));
    if (dot < 0 || boot !== this.bootId || !Number.isInteger(seq) || seq < 0 || seq > this.seq)
      return { snapshot: true };
    if (seq === this.seq) return { replay: [] };
    const first = this.ring[0];
    // The ring must hold the event right after the client's last one.
    if (!first || first.seq > seq + 1) return { snapshot: true };
    return { replay: this.ring.slice(seq + 1 - first.seq) };
  }

  /** Calls `fn` with every event from now on; returns the unsubscribe. */
  subscribe(fn: (e: ChannelEvent) => void): () => void {
    this.subscribers.add(fn);
    return () => this.subscribers.delete(fn);
  }

  /** How many streams listen now. */
  get listeners(): number {
    return this.subscribers.size;
  }
}
