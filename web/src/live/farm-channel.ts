import { applyEvent, EMPTY_FARM, type FarmEvent, type FarmState } from './farm-state.ts';

/** Whether the console hears the master now. */
export type Connection = 'connecting' | 'live' | 'reconnecting';

/** The event types of GET /api/v1/events the console listens to. */
const TYPES = ['snapshot', 'server', 'camera', 'failover', 'copyback', 'copyback-done', 'config', 'master'];

/**
 * The service channel: one EventSource on /api/v1/events, its events reduced into the farm's state.
 * The browser reconnects by itself (sending Last-Event-ID, so the master replays what was missed or
 * sends a snapshot); when the master refused the stream (EventSource gives up on an HTTP error, e.g.
 * 503 while it starts), a new one is opened after a backoff of up to 5 s. `onEvent` sees each
 * message as it arrives (bench/console.ts measures the delay from commit to here).
 */
export class FarmChannel {
  state: FarmState = EMPTY_FARM;
  connection: Connection = 'connecting';
  private source: EventSource | undefined;
  private readonly listeners = new Set<() => void>();
  private retryMs = 500;
  private timer: ReturnType<typeof setTimeout> | undefined;
  private closed = false;

  constructor(
    private readonly url = '/api/v1/events',
    private readonly onEvent?: (e: FarmEvent, receivedAtMs: number) => void,
  ) {}

  /** Calls `fn` after every change of state or connection; returns the unsubscribe. */
  subscribe(fn: () => void): () => void {
    this.listeners.add(fn);
    return () => this.listeners.delete(fn);
  }

  /** Opens the stream (again). */
  open(): void {
    this.closed = false;
    this.source?.close();
    const es = new EventSource(this.url, { withCredentials: true });
    this.source = es;
    for (const type of TYPES) es.addEventListener(type, (m) => this.take(type, m as MessageEvent<string>));
    es.onerror = () => {
      if (this.closed) return;
      this.setConnection(this.state.ready ? 'reconnecting' : 'connecting');
      if (es.readyState === EventSource.CLOSED) {
        clearTimeout(this.timer);
        this.timer = setTimeout(() => this.open(), this.retryMs);
        this.retryMs = Math.min(5000, this.retryMs * 2);
      }
    };
  }

  /** Stops listening (logout). */
  close(): void {
    this.closed = true;
    clearTimeout(this.timer);
    this.source?.close();
    this.source = undefined;
    this.state = EMPTY_FARM;
    this.setConnection('connecting');
  }

  private take(type: string, m: MessageEvent<string>): void {
    let envelope: { atMs: number; value: unknown };
    try {
      envelope = JSON.parse(m.data);
    } catch {
      return;
    }
    const e: FarmEvent = { type, atMs: envelope.atMs, value: envelope.value };
    this.onEvent?.(e, Date.now());
    this.state = applyEvent(this.state, e);
    this.retryMs = 500;
    // Live once the picture is whole again: after the snapshot, or the first event of a replay.
    this.connection = this.state.ready ? 'live' : this.connection;
    for (const fn of this.listeners) fn();
  }

  private setConnection(c: Connection): void {
    if (this.connection === c) return;
    this.connection = c;
    for (const fn of this.listeners) fn();
  }
}
