import http from 'node:http';
import https from 'node:https';
import type { Readable } from 'node:stream';
import type { ClientTls } from '../lib/http/tls.ts';

/** A request to a recording server's NodeApi. */
export interface NodeRequest {
  method: 'GET' | 'POST';
  url: string;
  headers: Record<string, string>;
  /** JSON text. */
  body?: string;
  signal: AbortSignal;
}

/** A NodeApi response: the body as a stream, and its trailers once the body has ended. */
export interface NodeResponse {
  status: number;
  headers?: Record<string, string | string[] | undefined>;
  body: Readable;
  trailers(): Record<string, string | undefined>;
}

/** Sends a request; rejects when no response comes (the network, the source down, an abort). */
export type SendRequest = (req: NodeRequest) => Promise<NodeResponse>;

/** A connection silent this long is given up (the rate limit's waits are far shorter). */
const IDLE_MS = 120_000;

/**
 * node:http(s) over keep-alive connections, one per request in flight, kept between requests.
 * Not fetch: its web streams cost more per chunk, and it does not give trailers.
 */
export class KeepAliveHttp {
  private readonly agents: Record<string, http.Agent>;

  /** `maxSockets`: connections per server at most (requests beyond wait for one); `tls`: what https trusts and presents. */
  constructor(maxSockets: number, tls?: ClientTls) {
    this.agents = {
      'http:': new http.Agent({ keepAlive: true, maxSockets }),
      'https:': new https.Agent({ keepAlive: true, maxSockets, ...tls }),
    };
  }

  /** Sends a request over a kept-alive connection. */
  readonly send: SendRequest = (r) =>
    new Promise((resolve, reject) => {
      const url = new URL(r.url);
      const headers =
        r.body === undefined ? r.headers : { ...r.headers, 'content-length': String(Buffer.byteLength(r.body)) };
      const req = (url.protocol === 'https:' ? https : http).request(url, {
        method: r.method,
        headers,
        agent: this.agents[url.protocol],
        signal: r.signal,
      });
      req.setTimeout(IDLE_MS, () => req.destroy(new Error(`no data for ${IDLE_MS / 1000} s`)));
      req.on('error', reject);
      req.on('response', (res) => {
        // A body's error reaches whoever reads it; one nobody reads (a drained reply) must not crash the process.
        res.on('error', () => {});
        resolve({ status: res.statusCode ?? 0, headers: res.headers, body: res, trailers: () => res.trailers });
      });
      req.end(r.body);
    });

  /** Closes the idle connections; none is kept afterwards. */
  close(): void {
    for (const agent of Object.values(this.agents)) agent.destroy();
  }
}

/** A response body as text. */
export async function readText(body: Readable): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of body) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}
