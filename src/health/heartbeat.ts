import { createSocket, type Socket } from 'node:dgram';
import { randomBytes } from 'node:crypto';
import { encodeAlive, decodeAlive } from './alive-codec.ts';
import { BuddyWatch } from './buddy-watch.ts';
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
  key: Buffer;
  host: string;
  port: number;
  settings: HeartbeatSettings;
  log: Logger;
  clock?: Clock;
  onSuspects?: (ids: string[]) => void;
}

/** Datagram counters, reported to the master with each status. */
export interface UdpCounters {
  sent: number;
  accepted: number;
  dropped: Record<'malformed' | 'bad-mac' | 'unknown-sender' | 'replay' | 'stale', number>;
}

/**
 * The buddy system on one server: sends an authenticated Alive to each buddy every AliveIntervalMs
 * over UDP, judges what it receives, and calls onSuspects whenever the set of silent buddies changes.
 */
export class Heartbeat {
  private socket: Socket | undefined;
  private buddies: Buddy[] = [];
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
    dropped: { malformed: 0, 'bad-mac': 0, 'unknown-sender': 0, replay: 0, stale: 0 },
  };

  constructor(private readonly o: HeartbeatOptions) {
    this.clock = o.clock ?? systemClock;
    this.watch = new BuddyWatch(
      // Servers of a farm keep NTP time (the footage needs it); the window only has to stop old replays.
      { missedMs: o.settings.missedMs, startDelayMs: o.settings.startDelayMs, replayWindowMs: 120_000 },
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

  setBuddies(buddies: Buddy[]): void {
    this.buddies = buddies;
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
    const buf = encodeAlive(
      { sender: this.o.selfId, bootId: this.bootId, seq: ++this.seq, sentAt: this.clock.now() },
      this.o.key,
    );
    for (const b of this.buddies) {
      s.send(buf, b.port, b.host, (err) => {
        if (err) this.o.log.debug({ err, buddy: b.id }, 'alive send failed');
      });
      this.counters.sent++;
    }
  }

  private onMessage(msg: Buffer): void {
    const d = decodeAlive(msg, this.o.key);
    if (!d.ok) {
      this.counters.dropped[d.reason]++;
      return;
    }
    const verdict = this.watch.receive(d.alive, this.clock.now());
    if (verdict === 'accepted') this.counters.accepted++;
    else this.counters.dropped[verdict]++;
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
