import { randomBytes } from 'node:crypto';
import { access } from 'node:fs/promises';
import { createServer, type Server, type Socket } from 'node:net';
import type { Logger } from '../lib/log.ts';
import { redactCredentials } from '../lib/redact.ts';
import { peerUid } from './socket-owner.ts';

/** Settings of a CameraUrlRedirect. */
export interface CameraUrlRedirectOptions {
  log: Logger;
  /** How long a ticket waits for its ffmpeg (it connects at once; a restart gets a new one). */
  ttlMs?: number;
  /** Who owns the peer's socket (tests swap it); default: /proc/net/tcp. */
  peerUid?: (ourPort: number, peerPort: number) => Promise<number | undefined>;
}

const MAX_REQUEST_BYTES = 8192;
const REQUEST_TIMEOUT_MS = 5000;

/**
 * Keeps camera passwords off ffmpeg's command line, which every local user can read in
 * /proc/<pid>/cmdline. ffmpeg is given `rtsp://127.0.0.1:<port>/<ticket>` instead of the camera's
 * URL; this loopback server answers its first request with `302 Moved Temporarily` and
 * `Location: <the camera's URL>`, which ffmpeg's RTSP client follows (rtsp and rtsps alike, with the
 * credentials in it). A ticket is random, used once, expires, and is answered only to a socket of
 * this process's own user (its owner read from /proc/net/tcp): another local user who reads the
 * ticket off the command line gets a 403, never the URL. Where the owner cannot be told (no /proc),
 * start() says so and the URL goes on the command line, as before.
 */
export class CameraUrlRedirect {
  private server: Server | undefined;
  private port = 0;
  private readonly tickets = new Map<string, { url: string; expires: number }>();
  private readonly sockets = new Set<Socket>();
  private readonly ttlMs: number;
  private readonly peerUid: (ourPort: number, peerPort: number) => Promise<number | undefined>;

  constructor(private readonly o: CameraUrlRedirectOptions) {
    this.ttlMs = o.ttlMs ?? 30_000;
    this.peerUid = o.peerUid ?? peerUid;
  }

  /** Whether ffmpeg gets tickets: false where a peer's owner cannot be told (the URL is passed as it is). */
  get active(): boolean {
    return this.server !== undefined;
  }

  /** Listens on a free loopback port; resolves false (and stays inactive) where it cannot check peers. */
  async start(): Promise<boolean> {
    if (process.getuid === undefined) return false;
    try {
      await access('/proc/self/net/tcp');
    } catch {
      return false;
    }
    const server = createServer((sock) => this.serve(sock));
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(0, '127.0.0.1', () => resolve());
    });
    server.on('error', (err) => this.o.log.error({ err }, 'camera URL redirect failed'));
    this.port = (server.address() as { port: number }).port;
    this.server = server;
    return true;
  }

  /**
   * What ffmpeg is given for `url`: a one-time loopback ticket when the URL holds credentials (a
   * password, or a user that may be a token: what redaction would hide) and the redirect runs,
   * else the URL itself (nothing to hide, or no way to hide it).
   */
  ffmpegUrl(url: string): string {
    if (!this.server || redactCredentials(url) === url || /[\r\n]/.test(url)) return url;
    const now = Date.now();
    for (const [t, v] of this.tickets) if (v.expires <= now) this.tickets.delete(t);
    const ticket = randomBytes(18).toString('base64url');
    this.tickets.set(ticket, { url, expires: now + this.ttlMs });
    return `rtsp://127.0.0.1:${this.port}/${ticket}`;
  }

  /** Stops listening and forgets every ticket. */
  async close(): Promise<void> {
    this.tickets.clear();
    for (const s of this.sockets) s.destroy();
    const server = this.server;
    this.server = undefined;
    if (server) await new Promise<void>((resolve) => server.close(() => resolve()));
  }

  private serve(sock: Socket): void {
    this.sockets.add(sock);
    sock.on('close', () => this.sockets.delete(sock));
    sock.on('error', () => {});
    sock.setTimeout(REQUEST_TIMEOUT_MS, () => sock.destroy());
    let head = '';
    const onData = (d: Buffer) => {
      head += d.toString('latin1');
      const end = head.indexOf('\r\n\r\n');
      if (end === -1) {
        if (head.length > MAX_REQUEST_BYTES) sock.destroy();
        return;
      }
      sock.off('data', onData);
      void this.answer(sock, head.slice(0, end)).catch(() => sock.destroy());
    };
    sock.on('data', onData);
  }

  private async answer(sock: Socket, head: string): Promise<void> {
    const [requestLine, ...headers] = head.split('\r\n');
    const cseq = headers.map((h) => /^cseq:\s*(\d{1,10})\s*$/i.exec(h)?.[1]).find(Boolean) ?? '0';
    const target = /^[A-Z_]+ (\S+) RTSP\/1\.0$/.exec(requestLine)?.[1];
    const ticket = target ? /\/([A-Za-z0-9_-]{24})$/.exec(target)?.[1] : undefined;
    const found = ticket ? this.tickets.get(ticket) : undefined;
    const reply = (status: string, extra = ''): void => {
      sock.end(`RTSP/1.0 ${status}\r\nCSeq: ${cseq}\r\n${extra}Content-Length: 0\r\n\r\n`);
    };
    if (!ticket || !found || found.expires <= Date.now()) return reply('404 Not Found');
    const owner = await this.peerUid(this.port, sock.remotePort ?? 0);
    if (owner !== process.getuid?.()) {
      // Not ours: a local user who read the ticket off ffmpeg's command line. The ticket stays for ffmpeg.
      this.o.log.warn({ peerUid: owner ?? null }, "a process of another user asked for a camera's URL: refused");
      return reply('403 Forbidden');
    }
    this.tickets.delete(ticket);
    reply('302 Moved Temporarily', `Location: ${found.url}\r\n`);
  }
}
