import type { LocalFarm } from '../../src/farm/local-farm.ts';

/** One message of the service channel as a test reads it. */
export interface SseMessage {
  id?: string;
  event: string;
  atMs: number;
  value: any;
  /** When this test process read it. */
  receivedAt: number;
}

/**
 * A service channel stream (GET /api/v1/events) read by a test, over the farm's TLS: every message
 * parsed and kept in order; `next` waits for the first message from an index on that matches.
 */
export class SseClient {
  readonly messages: SseMessage[] = [];
  private readonly abort = new AbortController();
  private waiters: (() => void)[] = [];
  ended = false;
  status = 0;

  private constructor() {}

  /** Opens a stream with the given headers (a credential; Last-Event-ID to resume); resolves once the answer's head is in. */
  static async open(farm: LocalFarm, headers: Record<string, string>): Promise<SseClient> {
    const c = new SseClient();
    const res = await farm.request('/api/v1/events', { headers, signal: c.abort.signal });
    c.status = res.status;
    if (!res.ok || !res.body) {
      c.ended = true;
      await res.body?.cancel();
      return c;
    }
    void c.read(res.body.getReader());
    return c;
  }

  private async read(reader: ReadableStreamDefaultReader<Uint8Array>): Promise<void> {
    let buf = '';
    try {
      for (;;) {
        const { value, done } = await reader.read();
        if (done) break;
        buf += Buffer.from(value).toString('utf8');
        let end = buf.indexOf('\n\n');
        while (end >= 0) {
          const block = buf.slice(0, end);
          buf = buf.slice(end + 2);
          end = buf.indexOf('\n\n');
          const fields: Record<string, string> = {};
          for (const line of block.split('\n')) {
            if (!line || line.startsWith(':')) continue;
            const i = line.indexOf(':');
            fields[line.slice(0, i)] = line.slice(i + 1).trimStart();
          }
          if (!fields.data || !fields.event) continue;
          const { atMs, value: v } = JSON.parse(fields.data);
          this.messages.push({ id: fields.id, event: fields.event, atMs, value: v, receivedAt: Date.now() });
        }
        for (const w of this.waiters.splice(0)) w();
      }
    } catch {
      // aborted, or the master went away
    }
    this.ended = true;
    for (const w of this.waiters.splice(0)) w();
  }

  /** The first message at index ≥ from that matches; throws after timeoutMs naming `what`. */
  async next(match: (m: SseMessage) => boolean, what: string, from = 0, timeoutMs = 30_000): Promise<SseMessage> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const m = this.messages.slice(from).find(match);
      if (m) return m;
      if (this.ended) throw new Error(`the stream ended before ${what}`);
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`no ${what} within ${timeoutMs} ms (${this.messages.length} messages)`);
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, Math.min(left, 1000));
        this.waiters.push(() => {
          clearTimeout(timer);
          resolve();
        });
      });
    }
  }

  /** The id of the last message read. */
  get lastId(): string | undefined {
    return this.messages.at(-1)?.id;
  }

  /** Closes the stream. */
  close(): void {
    this.abort.abort();
  }
}
