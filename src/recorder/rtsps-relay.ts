import { createServer, isIP, type Server, type Socket } from 'node:net';
import { connect as tlsConnect } from 'node:tls';
import { errText } from '../lib/errors.ts';
import type { Logger } from '../lib/log.ts';

/**
 * Verified TLS to an rtsps camera on ffmpeg's behalf. ffmpeg 5.1's RTSP demuxer opens its TLS
 * connection without passing it any option (-tls_verify and -ca_file do not reach it), so it
 * would take any certificate. The relay listens on loopback for ffmpeg's plain RTSP and carries
 * each connection over TLS to the camera, verifying the camera's certificate against the CA given
 * and its name against the URL's host; a camera that fails is never spoken to.
 */
export class RtspsRelay {
  private readonly server: Server;
  private readonly sockets = new Set<Socket>();
  private readonly target: URL;
  private lastRefusal = '';
  /** ffmpeg's URL once listening: rtsp://<credentials>@127.0.0.1:<port>/<the camera's path and query>. */
  url = '';

  constructor(
    cameraUrl: string,
    private readonly o: { ca: string; log: Logger },
  ) {
    this.target = new URL(cameraUrl);
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
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  private carry(local: Socket): void {
    const host = this.target.hostname.replace(/^\[|\]$/g, '');
    const remote = tlsConnect({
      host,
      port: Number(this.target.port || 322),
      ca: this.o.ca,
      ...(isIP(host) ? {} : { servername: host }),
    });
    for (const s of [local, remote]) {
      this.sockets.add(s);
      s.once('close', () => this.sockets.delete(s));
    }
    const end = () => {
      local.destroy();
      remote.destroy();
    };
    remote.once('secureConnect', () => {
      this.lastRefusal = '';
      local.pipe(remote).pipe(local);
    });
    remote.on('error', (err) => {
      // Logged once per reason: ffmpeg is restarted by its supervisor and will knock again.
      const why = errText(err);
      if (why !== this.lastRefusal)
        this.o.log.error(
          { camera: `${host}:${this.target.port || 322}`, err: why },
          'rtsps camera not reached or its certificate refused',
        );
      this.lastRefusal = why;
      end();
    });
    local.on('error', end);
    local.once('close', end);
    remote.once('close', end);
  }
}
