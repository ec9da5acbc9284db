import { createSocket, type Socket } from 'node:dgram';
import { randomBytes } from 'node:crypto';
import { encodeAlive, decodeAlive, type DecodeRefusal } from './alive-codec.ts';
import { BuddyWatch, aliveWindowMs, type Verdict } from './buddy-watch.ts';
import type { AliveKeys } from './alive-keys.ts';
import type { Logger } from '../lib/log.ts';
import { systemClock, type Clock } from '../lib/clock.ts';

export interface Buddy {
  id: string;
  host: string;
  port: number;
}

export interface HeartbeatSettings {
  aliveIntervalMs: number;
  missedMs: number;
  startDelayMs: number;
  sockTimeoutMs: number;
}

export interface HeartbeatOptions {
  selfId: string;
  host: string;
  port: number;
  settings: HeartbeatSettings;
  log: Logger;
  clock?: Clock;
  onSuspects?: (ids: string[]) => void;
}

/** Why a datagram was dropped: by the codec (shape, recipient, key, MAC) or by the buddy watch (sender, replay, age). */
export type DropReason = DecodeRefusal | Exclude<Verdict, 'accepted'>;

/** Datagram counters, reported to the master with each status. */
export interface UdpCounters {
  sent: number;
  accepted: number;
  dropped: Record<DropReason, number>;
}

/** How often a stale Alive of one sender is logged at most (a clock off by seconds sends four a second). */
const STALE_LOG_MS = 60_000;

/**
 * The buddy system on one server: sends an authenticated Alive to each buddy every AliveIntervalMs
 * over UDP, signed with the key of that pair, judges what it receives, and calls onSuspects whenever
 * the set of silent buddies changes. It holds only the keys of its own pairs (from its assignment):
 * it can neither sign as another server nor check datagrams meant for another.
 */
export class Heartbeat {
  private socket: Socket | undefined;
  private buddies: Buddy[] = [];
  private keys: AliveKeys = { send: new Map(), receive: new Map() };
  private readonly staleLoggedAt = new Map<string, number>();
  private readonly bootId = randomBytes(16);
  private seq = 0n;
  private readonly clock: Clock;
  private readonly watch: BuddyWatch;
  private sendTimer: NodeJS.Timeout | undefined;
  private checkTimer: NodeJS.Timeout | undefined;
  private lastSuspects = '';
  readonly counters: UdpCounters = {
    sent: 0,
    accepted: 0,
    dropped: { malformed: 0, 'wrong-recipient': 0, 'unknown-sender': 0, 'bad-mac': 0, replay: 0, stale: 0 },
  };

  constructor(private readonly o: HeartbeatOptions) {
    this.clock = o.clock ?? systemClock;
    this.watch = new BuddyWatch(
      {
        missedMs: o.settings.missedMs,
        startDelayMs: o.settings.startDelayMs,
        replayWindowMs: aliveWindowMs(o.settings.missedMs),
      },
      this.clock.now(),
    );
  }

  async start(): Promise<void> {
    const socket = createSocket({ type: 'udp4', reuseAddr: false });
    socket.on('message', (msg) => this.onMessage(msg));
    socket.on('error', (err) => this.o.log.error({ err }, 'udp socket error'));
    await new Promise<void>((resolve, reject) => {
      socket.once('error', reject);
      socket.bind(this.o.port, this.o.host, () => {
        socket.off('error', reject);
        resolve();
      });
    });
    this.socket = socket;
    this.sendTimer = setInterval(() => this.sendAll(), this.o.settings.aliveIntervalMs);
    // The monitoring loop wakes at least every SockTimeout, and often enough to keep detection near the threshold.
    const checkMs = Math.max(20, Math.min(this.o.settings.sockTimeoutMs, this.o.settings.aliveIntervalMs));
    this.checkTimer = setInterval(() => this.check(), checkMs);
    this.sendAll();
  }

  /** The bound UDP port (useful with port 0). */
  get port(): number {
    return this.socket?.address().port ?? this.o.port;
  }

  /** The buddies to send to and watch, and the keys of the pairs (from the assignment); a buddy without a send key is not sent to. */
  setBuddies(buddies: Buddy[], keys: AliveKeys): void {
    const unkeyed = buddies.filter((b) => !keys.send.has(b.id) || !keys.receive.has(b.id)).map((b) => b.id);
    if (unkeyed.length) this.o.log.error({ buddies: unkeyed }, 'no Alive key for these buddies: they cannot be heard');
    this.buddies = buddies;
    this.keys = keys;
    this.watch.setBuddies(
      buddies.map((b) => b.id),
      this.clock.now(),
    );
    this.check();
  }

  suspects(): string[] {
    return this.watch.suspects(this.clock.now());
  }

  async close(): Promise<void> {
    clearInterval(this.sendTimer);
    clearInterval(this.checkTimer);
    const s = this.socket;
    this.socket = undefined;
    if (s) await new Promise<void>((resolve) => s.close(() => resolve()));
  }

  private sendAll(): void {
    const s = this.socket;
    if (!s) return;
    const seq = ++this.seq;
    const sentAt = this.clock.now();
    for (const b of this.buddies) {
      const key = this.keys.send.get(b.id);
      if (!key) continue;
      const buf = encodeAlive({ sender: this.o.selfId, recipient: b.id, bootId: this.bootId, seq, sentAt }, key);
      s.send(buf, b.port, b.host, (err) => {
        if (err) this.o.log.debug({ err, buddy: b.id }, 'alive send failed');
      });
      this.counters.sent++;
    }
  }

  private onMessage(msg: Buffer): void {
    const d = decodeAlive(msg, this.o.selfId, (sender) => this.keys.receive.get(sender));
    if (!d.ok) {
      this.counters.dropped[d.reason]++;
      return;
    }
    const now = this.clock.now();
    const verdict = this.watch.receive(d.alive, now);
    if (verdict === 'accepted') this.counters.accepted++;
    else this.counters.dropped[verdict]++;
    if (verdict === 'stale') this.logStale(d.alive.sender, d.alive.sentAt, now);
  }

  /** A buddy's authentic Alive stamped outside the window is most likely a clock that drifted: say so, now and then. */
  private logStale(sender: string, sentAt: number, now: number): void {
    const last = this.staleLoggedAt.get(sender);
    if (last !== undefined && now - last < STALE_LOG_MS) return;
    this.staleLoggedAt.set(sender, now);
    this.o.log.warn(
      { buddy: sender, offsetMs: sentAt - now, windowMs: aliveWindowMs(this.o.settings.missedMs) },
      "buddy's Alive is stamped too far from this clock: refused (a replay, or clocks that disagree: check NTP)",
    );
  }

  private check(): void {
    const suspects = this.suspects();
    const key = suspects.join(',');
    if (key === this.lastSuspects) return;
    this.lastSuspects = key;
    if (suspects.length) this.o.log.warn({ suspects }, 'buddy possibly down');
    this.o.onSuspects?.(suspects);
  }
}
