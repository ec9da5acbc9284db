import { createServer, isIP, connect as tcpConnect, type Server, type Socket } from 'node:net';
import { connect as tlsConnect } from 'node:tls';
import { errText } from '../lib/errors.ts';
import type { Logger } from '../lib/log.ts';
import { RtspWatch, type RtspWatchListener } from './rtsp-watch.ts';

/** Settings of an RtspTap. */
export interface RtspTapOptions {
  log: Logger;
  /**
   * CA (PEM) an rtsps camera's certificate must chain to, its name checked against the URL's host.
   * Without it an rtsps camera is spoken to over TLS unverified (encrypted, as ffmpeg alone would).
   */
  ca?: string;
  /** The arrival clock (ms) of the camera's bytes; default Date.now. */
  now?: () => number;
  /** Called per connection ffmpeg opens (one per run): who hears what that session carries. */
  onConnection?: () => RtspWatchListener;
}

/**
 * A loopback relay ffmpeg connects to instead of the camera: each connection is carried to the
 * camera (plain TCP for rtsp, TLS for rtsps, verified when a CA is given: ffmpeg 5.1 cannot verify
 * an rtsps camera itself), the bytes passed both ways untouched, and the session read on the way
 * (RtspWatch): the times of the video's RTP packets as they arrive and the camera's RTCP sender
 * reports, from which the recorder dates its segments by their frames rather than by when ffmpeg
 * got to them. ffmpeg's RTSP runs over TCP (-rtsp_transport tcp), so media shares the connection.
 */
export class RtspTap {
  private readonly server: Server;
  private readonly sockets = new Set<Socket>();
  private readonly target: URL;
  private readonly tls: boolean;
  private lastRefusal = '';
  private warnedParse = false;
  /** ffmpeg's URL once listening: rtsp://<credentials>@127.0.0.1:<port>/<the camera's path and query>. */
  url = '';

  constructor(
    cameraUrl: string,
    private readonly o: RtspTapOptions,
  ) {
    this.target = new URL(cameraUrl);
    this.tls = /^rtsps:$/i.test(this.target.protocol);
    this.server = createServer((local) => this.carry(local));
  }

  /** Listens on a free loopback port; resolves with the URL ffmpeg is given. */
  async listen(): Promise<string> {
    await new Promise<void>((resolve, reject) => {
      this.server.once('error', reject);
      this.server.listen(0, '127.0.0.1', () => resolve());
    });
    const local = new URL(this.target.toString().replace(/^rtsps:/i, 'rtsp:'));
    local.hostname = '127.0.0.1';
    local.port = String((this.server.address() as { port: number }).port);
    this.url = local.toString();
    return this.url;
  }

  /** Stops listening and ends every carried connection. */
  async close(): Promise<void> {
    for (const s of this.sockets) s.destroy();
    if (!this.server.listening) return;
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  private carry(local: Socket): void {
    const host = this.target.hostname.replace(/^\[|\]$/g, '');
    const port = Number(this.target.port || (this.tls ? 322 : 554));
    const remote = this.tls
      ? tlsConnect({
          host,
          port,
          ...(this.o.ca ? { ca: this.o.ca } : { rejectUnauthorized: false }),
          ...(isIP(host) ? {} : { servername: host }),
        })
      : tcpConnect({ host, port });
    local.setNoDelay(true);
    remote.setNoDelay(true);
    for (const s of [local, remote]) {
      this.sockets.add(s);
      s.once('close', () => this.sockets.delete(s));
    }
    const end = () => {
      local.destroy();
      remote.destroy();
    };
    const watch = this.o.onConnection && new RtspWatch(this.o.onConnection());
    const now = this.o.now ?? Date.now;
    const safely = (f: () => void) => {
      try {
        f();
      } catch (err) {
        // Reading is a bonus: the bytes go on whatever happens here.
        if (!this.warnedParse) this.o.log.warn({ err }, 'rtsp tap could not read the session');
        this.warnedParse = true;
      }
    };
    remote.once(this.tls ? 'secureConnect' : 'connect', () => {
      this.lastRefusal = '';
      if (watch) {
        local.on('data', (d: Buffer) => safely(() => watch.client(d)));
        remote.on('data', (d: Buffer) => {
          const at = now();
          safely(() => watch.camera(d, at));
        });
      }
      local.pipe(remote).pipe(local);
    });
    remote.on('error', (err) => {
      // Logged once per reason: ffmpeg is restarted by its supervisor and will knock again.
      const why = errText(err);
      if (why !== this.lastRefusal)
        this.o.log.error(
          { camera: `${host}:${port}`, err: why },
          this.tls ? 'rtsps camera not reached or its certificate refused' : 'camera not reached',
        );
      this.lastRefusal = why;
      end();
    });
    local.on('error', end);
    local.once('close', end);
    remote.once('close', end);
  }
}
