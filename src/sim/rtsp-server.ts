import { createServer, type AddressInfo, type Server, type Socket } from 'node:net';
import { randomBytes } from 'node:crypto';
import type { Logger } from '../lib/log.ts';
import {
  formatReply,
  mediaCount,
  parseHead,
  parseUrl,
  pathOf,
  trimSlashes,
  withTrackControls,
  type RtspReply,
  type RtspRequest,
} from './rtsp-message.ts';

/** Receives one track's packets; the server gives one to each track of each playing client. */
export interface RtspSink {
  rtp(packet: Buffer): void;
  rtcp(packet: Buffer): void;
  /** The stream broke (its encoder died): the client is disconnected, as by a rebooting camera. */
  end(): void;
}

/** A live stream the server relays: its SDP and the RTP/RTCP packets of each of its tracks. */
export interface RtspSource {
  /**
   * A session description with one media section (`m=`) per track and no `a=control`: the server
   * adds `a=control:trackID=<n>`, n counting the sections from 0. Undefined while unknown.
   */
  sdp(): string | undefined;
  /** Starts feeding the sink with track `track`'s packets; the returned function stops it. */
  subscribe(sink: RtspSink, track: number): () => void;
}

/** Beyond this much unsent data a client is too slow to keep up with a live stream, and is dropped. */
const MAX_BUFFERED_BYTES = 4 * 1024 * 1024;
/** A request head longer than this is garbage, not RTSP. */
const MAX_HEAD_BYTES = 16 * 1024;
const MAX_BODY_BYTES = 64 * 1024;
const SESSION_TIMEOUT_S = 60;
const PUBLIC = 'OPTIONS, DESCRIBE, SETUP, PLAY, PAUSE, TEARDOWN, GET_PARAMETER, SET_PARAMETER';

/**
 * A minimal RTSP 1.0 server that relays live RTP to clients over TCP (interleaved), one
 * independent session per connection: enough to stand in for an IP camera. A stream may have
 * several tracks (video and audio); a client sets up any of them, each on its own pair of
 * interleaved channels, and PLAY relays those it set up.
 */
export class RtspServer {
  private readonly paths = new Map<string, RtspSource>();
  private readonly clients = new Set<RtspConnection>();
  private server: Server | undefined;

  constructor(private readonly opts: { host: string; port: number; log: Logger }) {}

  /** Serves `source` at rtsp://host:port/<path> (path without leading slash). */
  addPath(path: string, source: RtspSource): void {
    this.paths.set(trimSlashes(path), source);
  }

  /** The bound port: the one asked for, or the one the system chose for port 0. */
  get port(): number {
    const addr = this.server?.address() as AddressInfo | null | undefined;
    if (!addr) throw new Error('RTSP server is not listening');
    return addr.port;
  }

  /** Resolves once listening. */
  start(): Promise<void> {
    const server = createServer((socket) => {
      const conn = new RtspConnection(socket, this.paths, this.opts.log);
      this.clients.add(conn);
      socket.once('close', () => this.clients.delete(conn));
    });
    this.server = server;
    return new Promise((resolve, reject) => {
      server.once('error', reject);
      server.listen(this.opts.port, this.opts.host, () => {
        server.off('error', reject);
        server.on('error', (err) => this.opts.log.error({ err }, 'rtsp server error'));
        resolve();
      });
    });
  }

  /** Stops listening and disconnects every client. */
  async close(): Promise<void> {
    const server = this.server;
    if (!server) return;
    this.server = undefined;
    for (const c of this.clients) c.destroy();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }
}

/** One client connection: parses its requests and, once playing, relays media to it. */
class RtspConnection {
  private pending: Buffer = Buffer.alloc(0);
  private closing = false;
  private session: string | undefined;
  private sessionPath: string | undefined;
  /** The tracks set up in this session: track number → its interleaved [rtp, rtcp] channels. */
  private readonly tracks = new Map<number, [number, number]>();
  /** While playing: one unsubscribe per track. */
  private unsubscribe: (() => void)[] | undefined;

  constructor(
    private readonly socket: Socket,
    private readonly paths: Map<string, RtspSource>,
    private readonly log: Logger,
  ) {
    const peer = `${socket.remoteAddress}:${socket.remotePort}`;
    this.log = log.child({ peer });
    socket.setNoDelay(true);
    socket.on('data', (chunk) => this.onData(chunk));
    // A client that resets or vanishes only ends its own session.
    socket.on('error', (err) => this.log.debug({ err }, 'rtsp client socket error'));
    socket.on('close', () => this.stopMedia());
    // Idle means no bytes either way; a playing client always has media going out.
    socket.setTimeout(SESSION_TIMEOUT_S * 1000, () => this.destroy());
  }

  destroy(): void {
    this.stopMedia();
    this.socket.destroy();
  }

  private onData(chunk: Buffer): void {
    if (this.closing) return;
    this.pending = this.pending.length ? Buffer.concat([this.pending, chunk]) : chunk;
    try {
      while (!this.closing && !this.socket.destroyed && this.pending.length > 0 && this.takeOne());
    } catch (err) {
      // Any surprise in parsing ends this connection only, never the server.
      this.log.warn({ err }, 'rtsp request failed');
      this.hangUp();
    }
  }

  /** Consumes one complete item from the input; false when more bytes are needed. */
  private takeOne(): boolean {
    const buf = this.pending;
    if (buf[0] === 0x24) {
      // `$`, channel, 16-bit length: an interleaved packet from the client (an RTCP receiver
      // report). Nothing here needs it, so it is skipped.
      if (buf.length < 4) return false;
      const end = 4 + buf.readUInt16BE(2);
      if (buf.length < end) return false;
      this.pending = buf.subarray(end);
      return true;
    }
    if (buf[0] === 0x0d || buf[0] === 0x0a) {
      this.pending = buf.subarray(1); // a stray line end between requests, as some clients send
      return true;
    }
    const headEnd = buf.indexOf('\r\n\r\n');
    if (headEnd < 0) {
      if (buf.length > MAX_HEAD_BYTES) this.fail('request head too long');
      return false;
    }
    const head = buf.subarray(0, headEnd).toString('latin1');
    const req = parseHead(head);
    if (!req) {
      this.fail('malformed request');
      return false;
    }
    const bodyLength = Number(req.headers.get('content-length') ?? 0);
    if (!Number.isInteger(bodyLength) || bodyLength < 0 || bodyLength > MAX_BODY_BYTES) {
      this.fail('bad content-length');
      return false;
    }
    const end = headEnd + 4 + bodyLength;
    if (buf.length < end) return false;
    this.pending = buf.subarray(end); // the body (SET_PARAMETER, say) is not used
    this.reply(req, this.handle(req));
    return true;
  }

  /** Answers 400 and hangs up: after garbage the stream cannot be resynchronised. */
  private fail(reason: string): void {
    this.log.warn({ reason }, 'closing rtsp client after bad input');
    this.hangUp();
  }

  private hangUp(): void {
    this.reply(undefined, { status: 400 });
    this.closing = true;
    this.pending = Buffer.alloc(0);
    this.stopMedia();
    this.socket.end();
    // A peer that never closes its side must not hold the socket forever.
    setTimeout(() => this.socket.destroy(), 1000).unref();
  }

  private handle(req: RtspRequest): RtspReply {
    if (!req.headers.has('cseq')) return { status: 400 };
    const asked = req.headers.get('session')?.split(';')[0].trim();
    if (asked !== undefined && asked !== this.session) return { status: 454 };
    switch (req.method) {
      case 'OPTIONS':
      case 'GET_PARAMETER': // both serve as keep-alives
      case 'SET_PARAMETER':
        return { status: 200, headers: { Public: PUBLIC } };
      case 'DESCRIBE':
        return this.describe(req);
      case 'SETUP':
        return this.setup(req);
      case 'PLAY':
        return this.play();
      case 'PAUSE':
        if (!this.session) return { status: 455 };
        this.stopMedia();
        return { status: 200 };
      case 'TEARDOWN':
        this.stopMedia();
        this.session = undefined;
        this.sessionPath = undefined;
        this.tracks.clear();
        return { status: 200 };
      default:
        return { status: 501, headers: { Public: PUBLIC } };
    }
  }

  private describe(req: RtspRequest): RtspReply {
    const url = parseUrl(req.uri);
    if (!url) return { status: 400 };
    const source = this.paths.get(pathOf(url));
    if (!source) return { status: 404 };
    const sdp = source.sdp();
    if (sdp === undefined) return { status: 503 }; // the encoder is (re)starting
    const base = `${url.protocol}//${url.host}${url.pathname.replace(/\/+$/, '')}/`;
    return {
      status: 200,
      headers: { 'Content-Base': base, 'Content-Type': 'application/sdp' },
      body: withTrackControls(sdp),
    };
  }

  private setup(req: RtspRequest): RtspReply {
    const url = parseUrl(req.uri);
    if (!url) return { status: 400 };
    const target = this.resolveTrack(pathOf(url));
    if (!target) return { status: 404 };
    if (this.sessionPath !== undefined && this.sessionPath !== target.path) return { status: 455 };
    // Tracks are subscribed at PLAY; changing them mid-play would need a resubscribe nobody asks for.
    if (this.unsubscribe) return { status: 455 };
    const sdp = this.paths.get(target.path)!.sdp();
    if (sdp === undefined) return { status: 503 }; // the encoder is (re)starting
    if (target.track >= mediaCount(sdp)) return { status: 404 };
    const transport = req.headers.get('transport') ?? '';
    // Only TCP interleaving: media then shares the control connection, as for most NVR setups.
    const tcp = transport.split(',').find((t) => /^RTP\/AVP\/TCP\b/i.test(t.trim()));
    if (!tcp) return { status: 461 };
    const taken = new Set([...this.tracks].filter(([t]) => t !== target.track).flatMap(([, ch]) => ch));
    const m = /interleaved=(\d+)(?:-(\d+))?/i.exec(tcp);
    let rtp = m ? Number(m[1]) : 0;
    if (!m) while (taken.has(rtp) || taken.has(rtp + 1)) rtp += 2; // the lowest free pair
    const rtcp = m?.[2] !== undefined ? Number(m[2]) : rtp + 1;
    if (rtp > 255 || rtcp > 255 || rtp === rtcp || taken.has(rtp) || taken.has(rtcp)) return { status: 461 };
    this.tracks.set(target.track, [rtp, rtcp]);
    this.session ??= randomBytes(8).toString('hex');
    this.sessionPath = target.path;
    return { status: 200, headers: { Transport: `RTP/AVP/TCP;unicast;interleaved=${rtp}-${rtcp}` } };
  }

  /**
   * The stream and track a SETUP URL names: <path>/trackID=<n> as DESCRIBE's controls say, or the
   * bare path (track 0) from a client that ignores them. The bare path is tried first, so a stream
   * whose own path ends in /trackID=<n> still resolves to itself.
   */
  private resolveTrack(path: string): { path: string; track: number } | undefined {
    if (this.paths.has(path)) return { path, track: 0 };
    const m = /^(.*)\/trackID=(\d{1,3})$/.exec(path);
    return m && this.paths.has(m[1]) ? { path: m[1], track: Number(m[2]) } : undefined;
  }

  private play(): RtspReply {
    const source = this.sessionPath === undefined ? undefined : this.paths.get(this.sessionPath);
    if (!this.session || !source || this.tracks.size === 0) return { status: 455 };
    if (this.unsubscribe) return { status: 200, headers: { Range: 'npt=now-' } };
    return {
      status: 200,
      headers: { Range: 'npt=now-' },
      afterSend: () => {
        this.unsubscribe = [...this.tracks].map(([track, [rtp, rtcp]]) =>
          source.subscribe(
            {
              rtp: (p) => this.sendMedia(rtp, p),
              rtcp: (p) => this.sendMedia(rtcp, p),
              end: () => this.destroy(),
            },
            track,
          ),
        );
      },
    };
  }

  private sendMedia(channel: number, packet: Buffer): void {
    if (this.socket.destroyed) return;
    const frame = Buffer.allocUnsafe(4 + packet.length);
    frame[0] = 0x24;
    frame[1] = channel;
    frame.writeUInt16BE(packet.length, 2);
    packet.copy(frame, 4);
    this.socket.write(frame);
    if (this.socket.writableLength > MAX_BUFFERED_BYTES) {
      this.log.warn({ buffered: this.socket.writableLength }, 'rtsp client too slow; dropping it');
      this.destroy();
    }
  }

  private stopMedia(): void {
    const unsubscribe = this.unsubscribe;
    this.unsubscribe = undefined;
    for (const u of unsubscribe ?? []) u();
  }

  private reply(req: RtspRequest | undefined, r: RtspReply): void {
    if (this.socket.destroyed || !this.socket.writable) return;
    // The session goes with each success inside it; TEARDOWN's ends it.
    const session = r.status === 200 && req?.method !== 'TEARDOWN' ? this.session : undefined;
    this.socket.write(formatReply(r, req?.headers.get('cseq'), session, SESSION_TIMEOUT_S));
    r.afterSend?.();
  }
}
