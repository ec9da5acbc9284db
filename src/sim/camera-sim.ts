import { createSocket, type Socket as UdpSocket } from 'node:dgram';
import { rmSync } from 'node:fs';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Logger } from '../lib/log.ts';
import { ffmpegPath } from '../lib/ffmpeg-path.ts';
import { setTimeout as delay } from 'node:timers/promises';
import { Supervisor } from '../lib/supervise.ts';
import { RtspServer, type RtspSink, type RtspSource } from './rtsp-server.ts';
import { simEncoderArgs } from './sim-args.ts';

/** One simulated camera: its stream path is its id. */
export interface SimCamera {
  id: string;
  width: number;
  height: number;
  fps: number;
  keyintSeconds: number;
}

export interface CameraSimOptions {
  /** Where the RTSP server listens; default 127.0.0.1. */
  host?: string;
  /** RTSP port; 0 lets the system choose (read it back from `port`). */
  port: number;
  cameras: SimCamera[];
  log: Logger;
}

const SDP_TIMEOUT_MS = 15_000;
const SDP_POLL_MS = 50;

/**
 * A farm of simulated IP cameras: one ffmpeg encoder per camera sends RTP to local UDP sockets,
 * and an RTSP server relays it to any number of clients at rtsp://host:port/<id>.
 */
export class CameraSim {
  private readonly host: string;
  private readonly server: RtspServer;
  private readonly feeds = new Map<string, CameraFeed>();
  private dir: string | undefined;

  constructor(private readonly opts: CameraSimOptions) {
    this.host = opts.host ?? '127.0.0.1';
    this.server = new RtspServer({ host: this.host, port: opts.port, log: opts.log });
    for (const cam of opts.cameras) {
      if (this.feeds.has(cam.id)) throw new Error(`camera sim: duplicate camera id ${cam.id}`);
      this.feeds.set(cam.id, new CameraFeed(cam, opts.log.child({ camera: cam.id })));
    }
  }

  /** The RTSP port actually bound (after start). */
  get port(): number {
    return this.server.port;
  }

  /** Starts the server and the encoders; resolves once every camera can be described to a client. */
  async start(): Promise<void> {
    try {
      this.dir = await mkdtemp(join(tmpdir(), 'vigil-sim-'));
      const ffmpeg = ffmpegPath();
      let i = 0;
      for (const [id, feed] of this.feeds) {
        await feed.start(ffmpeg, join(this.dir, `cam${i++}.sdp`));
        this.server.addPath(id, feed);
      }
      await this.server.start();
      await withTimeout(
        Promise.all([...this.feeds.values()].map((f) => f.ready)),
        SDP_TIMEOUT_MS,
        () => {
          const late = [...this.feeds.values()].filter((f) => f.sdp() === undefined);
          const detail = late.map((f) => `${f.cam.id}: ${f.stderrTail().slice(-3).join(' | ') || 'no stderr'}`);
          return new Error(`camera sim: no SDP from ffmpeg after ${SDP_TIMEOUT_MS / 1000} s (${detail.join('; ')})`);
        },
      );
    } catch (err) {
      await this.close(); // a failed start leaves nothing running
      throw err;
    }
  }

  /** The RTSP URL of a camera. */
  url(id: string): string {
    if (!this.feeds.has(id)) throw new Error(`camera sim: unknown camera ${id}`);
    return `rtsp://${this.host.includes(':') ? `[${this.host}]` : this.host}:${this.port}/${encodeURIComponent(id)}`;
  }

  /** Stops encoders, sockets and server, and removes the temp dir. */
  async close(): Promise<void> {
    await Promise.all([...this.feeds.values()].map((f) => f.close()));
    await this.server.close();
    if (this.dir) await rm(this.dir, { recursive: true, force: true });
    this.dir = undefined;
  }
}

/** One camera: its encoder, the UDP sockets that receive its RTP/RTCP, and the clients it feeds. */
class CameraFeed implements RtspSource {
  readonly ready: Promise<void>;
  private markReady!: () => void;
  private readonly sinks = new Set<RtspSink>();
  private rtp: UdpSocket | undefined;
  private rtcp: UdpSocket | undefined;
  private encoder: Supervisor | undefined;
  private description: string | undefined;
  /** Bumped at every encoder start and exit, so a stale SDP poll knows to stop. */
  private generation = 0;
  private closed = false;

  constructor(readonly cam: SimCamera, private readonly log: Logger) {
    this.ready = new Promise((resolve) => (this.markReady = resolve));
  }

  sdp(): string | undefined {
    return this.description;
  }

  subscribe(sink: RtspSink): () => void {
    this.sinks.add(sink);
    return () => this.sinks.delete(sink);
  }

  stderrTail(): string[] {
    return this.encoder?.stderrTail() ?? [];
  }

  async start(ffmpeg: string, sdpFile: string): Promise<void> {
    this.rtp = await bindUdp((p) => this.sinks.forEach((s) => s.rtp(p)), this.log);
    this.rtcp = await bindUdp((p) => this.sinks.forEach((s) => s.rtcp(p)), this.log);
    const rtpPort = this.rtp.address().port;
    const rtcpPort = this.rtcp.address().port;
    const { id, width, height, fps, keyintSeconds } = this.cam;
    this.encoder = new Supervisor({
      name: `sim-${id}`,
      command: ffmpeg,
      args: () => simEncoderArgs({ width, height, fps, keyintSeconds, label: id, rtpPort, rtcpPort, sdpFile }),
      log: this.log,
      backoff: { initialMs: 250, maxMs: 5000 },
      onStart: () => void this.awaitSdp(sdpFile, ++this.generation),
      onExit: () => {
        // Like a rebooting camera: clients lose their session and must reconnect, which also
        // spares them the new run's fresh SSRC and sequence numbers mid-session.
        this.generation++;
        this.description = undefined;
        for (const s of [...this.sinks]) s.end();
        this.sinks.clear();
        rmSync(sdpFile, { force: true }); // now, before the next run can write a fresh one
      },
    });
    this.encoder.start();
  }

  /** ffmpeg writes the SDP once its RTP muxer is set up; polled, as the file does not exist yet to be watched. */
  private async awaitSdp(file: string, generation: number): Promise<void> {
    while (!this.closed && generation === this.generation) {
      const raw = await readFile(file, 'utf8').catch(() => undefined);
      const sdp = raw === undefined ? undefined : clientSdp(raw, this.cam.id);
      if (sdp !== undefined && generation === this.generation) {
        this.description = sdp;
        this.markReady();
        return;
      }
      await delay(SDP_POLL_MS);
    }
  }

  async close(): Promise<void> {
    this.closed = true;
    await this.encoder?.close();
    for (const s of [...this.sinks]) s.end();
    this.sinks.clear();
    await Promise.all([this.rtp, this.rtcp].map((sock) => sock && new Promise<void>((r) => sock.close(() => r()))));
    this.rtp = this.rtcp = undefined;
  }
}

/**
 * The SDP a client gets: ffmpeg's file names the local RTP destination and the tool, so only the
 * video media line (port 0: the port is negotiated by SETUP), rtpmap and fmtp are kept under a
 * clean session header. Undefined while the file is incomplete.
 */
export function clientSdp(raw: string, name: string): string | undefined {
  if (!raw.endsWith('\n')) return undefined; // ffmpeg ends every line, the last one too
  const lines = raw.split(/\r?\n/);
  const media = /^m=video \d+ RTP\/AVP (\d+)/.exec(lines.find((l) => l.startsWith('m=video ')) ?? '');
  if (!media) return undefined;
  const pt = media[1];
  const rtpmap = lines.find((l) => l.startsWith(`a=rtpmap:${pt} `));
  if (!rtpmap) return undefined;
  const fmtp = lines.find((l) => l.startsWith(`a=fmtp:${pt} `));
  const session = ['v=0', 'o=- 0 0 IN IP4 127.0.0.1', `s=${name.replace(/[\r\n]/g, ' ')}`, 'c=IN IP4 0.0.0.0', 't=0 0'];
  return [...session, `m=video 0 RTP/AVP ${pt}`, rtpmap, ...(fmtp ? [fmtp] : [])].join('\r\n') + '\r\n';
}

function bindUdp(onPacket: (p: Buffer) => void, log: Logger): Promise<UdpSocket> {
  const sock = createSocket('udp4');
  sock.on('message', onPacket);
  return new Promise((resolve, reject) => {
    sock.once('error', reject);
    sock.bind(0, '127.0.0.1', () => {
      sock.off('error', reject);
      sock.on('error', (err) => log.warn({ err }, 'sim udp socket error'));
      resolve(sock);
    });
  });
}

function withTimeout<T>(p: Promise<T>, ms: number, error: () => Error): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => (timer = setTimeout(() => reject(error()), ms)));
  return Promise.race([p, timeout]).finally(() => clearTimeout(timer));
}
