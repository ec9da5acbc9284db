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
import { SIM_AUDIO_SAMPLE_RATE, simEncoderArgs } from './sim-args.ts';
import { SR_INTERVAL_MS, SenderClock } from './sender-reports.ts';

/** A picture size. */
export interface SimSize {
  width: number;
  height: number;
}

/** The sub stream's size when it is switched on without one. */
export const DEFAULT_SUB_SIZE: SimSize = { width: 320, height: 180 };

/**
 * One simulated camera. Its main stream is served at rtsp://host:port/<id>, its sub stream (if
 * any) at rtsp://host:port/<id>/sub, in the /<stream>/<variant> style many cameras use.
 */
export interface SimCamera {
  id: string;
  width: number;
  height: number;
  fps: number;
  keyintSeconds: number;
  /** Also send an AAC audio track (a sine tone) on both streams; overrides CameraSimOptions.audio. */
  audio?: boolean;
  /** Also serve a sub stream (true: DEFAULT_SUB_SIZE), same fps and keyframes; overrides CameraSimOptions.sub. */
  sub?: boolean | SimSize;
}

export interface CameraSimOptions {
  /** Where the RTSP server listens; default 127.0.0.1. */
  host?: string;
  /** RTSP port; 0 lets the system choose (read it back from `port`). */
  port: number;
  cameras: SimCamera[];
  log: Logger;
  /** Default for each camera's `audio`; off, so the sims of existing tests and benches keep their cost. */
  audio?: boolean;
  /** Default for each camera's `sub`; off for the same reason. */
  sub?: boolean | SimSize;
}

/** The path of a camera's sub stream, relative to its main stream's. */
export const SUB_STREAM_SUFFIX = '/sub';

const SDP_TIMEOUT_MS = 15_000;
const SDP_POLL_MS = 50;

/**
 * A farm of simulated IP cameras: one ffmpeg encoder per camera sends RTP to local UDP sockets,
 * and an RTSP server relays it to any number of clients at rtsp://host:port/<id> (and, with a sub
 * stream, rtsp://host:port/<id>/sub).
 */
export class CameraSim {
  private readonly host: string;
  private readonly server: RtspServer;
  private readonly feeds = new Map<string, CameraFeed>();
  private dir: string | undefined;

  constructor(readonly opts: CameraSimOptions) {
    this.host = opts.host ?? '127.0.0.1';
    this.server = new RtspServer({ host: this.host, port: opts.port, log: opts.log });
    const paths = new Set<string>();
    for (const cam of opts.cameras) {
      if (this.feeds.has(cam.id)) throw new Error(`camera sim: duplicate camera id ${cam.id}`);
      const sub = subSize(cam.sub ?? opts.sub);
      // A camera named like another's sub stream would share its URL.
      for (const path of [cam.id, ...(sub ? [cam.id + SUB_STREAM_SUFFIX] : [])]) {
        if (paths.has(path)) throw new Error(`camera sim: two streams at path ${path}`);
        paths.add(path);
      }
      this.feeds.set(
        cam.id,
        new CameraFeed(cam, cam.audio ?? opts.audio ?? false, sub, opts.log.child({ camera: cam.id })),
      );
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
        this.server.addPath(id, feed.main);
        if (feed.sub) this.server.addPath(id + SUB_STREAM_SUFFIX, feed.sub);
      }
      await this.server.start();
      await withTimeout(Promise.all([...this.feeds.values()].map((f) => f.ready)), SDP_TIMEOUT_MS, () => {
        const late = [...this.feeds.values()].filter((f) => f.main.sdp() === undefined);
        const detail = late.map((f) => `${f.cam.id}: ${f.stderrTail().slice(-3).join(' | ') || 'no stderr'}`);
        return new Error(`camera sim: no SDP from ffmpeg after ${SDP_TIMEOUT_MS / 1000} s (${detail.join('; ')})`);
      });
    } catch (err) {
      await this.close(); // a failed start leaves nothing running
      throw err;
    }
  }

  /** The RTSP URL of a camera's main stream. */
  url(id: string): string {
    if (!this.feeds.has(id)) throw new Error(`camera sim: unknown camera ${id}`);
    return `rtsp://${this.host.includes(':') ? `[${this.host}]` : this.host}:${this.port}/${encodeURIComponent(id)}`;
  }

  /** The RTSP URL of a camera's sub stream: its main URL + `/sub`. */
  subUrl(id: string): string {
    if (!this.feeds.get(id)?.sub) throw new Error(`camera sim: camera ${id} has no sub stream`);
    return this.url(id) + SUB_STREAM_SUFFIX;
  }

  /** Stops encoders, sockets and server, and removes the temp dir. */
  async close(): Promise<void> {
    await Promise.all([...this.feeds.values()].map((f) => f.close()));
    await this.server.close();
    if (this.dir) await rm(this.dir, { recursive: true, force: true });
    this.dir = undefined;
  }
}

function subSize(sub: boolean | SimSize | undefined): SimSize | undefined {
  return sub === true ? DEFAULT_SUB_SIZE : sub || undefined;
}

/**
 * One RTP stream of an encoder: the UDP sockets its RTP and RTCP arrive on, and the clients it
 * feeds. In place of the encoder's RTCP it sends each client a sender report every
 * SR_INTERVAL_MS (and one as it subscribes) from the times the encoder's packets leave it.
 */
class RtpTrack {
  private readonly sinks = new Set<RtspSink>();
  private rtpSock: UdpSocket | undefined;
  private rtcpSock: UdpSocket | undefined;
  private readonly clock: SenderClock;
  private timer: NodeJS.Timeout | undefined;

  constructor(rate: number) {
    this.clock = new SenderClock(rate);
  }

  async bind(log: Logger): Promise<{ rtpPort: number; rtcpPort: number }> {
    this.rtpSock = await bindUdp((p) => {
      this.clock.rtp(p, Date.now());
      for (const s of this.sinks) s.rtp(p);
    }, log);
    // The encoder's own RTCP is replaced by the sim's reports (see SenderClock): one source of time.
    this.rtcpSock = await bindUdp(() => {}, log);
    this.timer = setInterval(() => {
      const sr = this.sinks.size ? this.clock.report(Date.now()) : undefined;
      if (sr) for (const s of this.sinks) s.rtcp(sr);
    }, SR_INTERVAL_MS);
    this.timer.unref();
    return { rtpPort: this.rtpSock.address().port, rtcpPort: this.rtcpSock.address().port };
  }

  subscribe(sink: RtspSink): () => void {
    this.sinks.add(sink);
    const sr = this.clock.report(Date.now());
    if (sr) setImmediate(() => this.sinks.has(sink) && sink.rtcp(sr));
    return () => this.sinks.delete(sink);
  }

  /** Disconnects every client of this track; the encoder's next run starts a new clock. */
  endAll(): void {
    for (const s of [...this.sinks]) s.end();
    this.sinks.clear();
    this.clock.reset();
  }

  async close(): Promise<void> {
    clearInterval(this.timer);
    this.endAll();
    await Promise.all(
      [this.rtpSock, this.rtcpSock].map((sock) => sock && new Promise<void>((r) => sock.close(() => r()))),
    );
    this.rtpSock = this.rtcpSock = undefined;
  }
}

/** One RTSP path of a camera: some of its encoder's media sections, served as tracks 0, 1, … in that order. */
class StreamView implements RtspSource {
  constructor(
    private readonly feed: CameraFeed,
    private readonly name: string,
    /** Indexes into the encoder's SDP (and its tracks), see simEncoderArgs for their order. */
    private readonly sections: number[],
  ) {}

  sdp(): string | undefined {
    const raw = this.feed.rawSdp();
    return raw === undefined ? undefined : clientSdp(raw, this.name, this.sections);
  }

  subscribe(sink: RtspSink, track: number): () => void {
    const t = this.feed.tracks[this.sections[track]];
    return t ? t.subscribe(sink) : () => {};
  }
}

/**
 * One camera: its encoder, an RtpTrack per RTP output (main video, audio, sub video: the order of
 * simEncoderArgs' outputs and of its SDP's media sections) and the paths that serve them: the main
 * stream (main video + audio) and the sub stream (sub video + the same audio).
 */
class CameraFeed {
  readonly ready: Promise<void>;
  private markReady!: () => void;
  readonly tracks: RtpTrack[];
  readonly main: StreamView;
  readonly sub: StreamView | undefined;
  private encoder: Supervisor | undefined;
  private description: string | undefined;
  /** Bumped at every encoder start and exit, so a stale SDP poll knows to stop. */
  private generation = 0;
  private closed = false;

  constructor(
    readonly cam: SimCamera,
    private readonly audio: boolean,
    private readonly subSize: SimSize | undefined,
    private readonly log: Logger,
  ) {
    this.ready = new Promise((resolve) => (this.markReady = resolve));
    const audioSection = audio ? [1] : [];
    const rates = [90_000, ...(audio ? [SIM_AUDIO_SAMPLE_RATE] : []), ...(subSize ? [90_000] : [])];
    this.tracks = rates.map((rate) => new RtpTrack(rate));
    this.main = new StreamView(this, cam.id, [0, ...audioSection]);
    this.sub = subSize && new StreamView(this, cam.id + SUB_STREAM_SUFFIX, [this.tracks.length - 1, ...audioSection]);
  }

  /** ffmpeg's SDP file as last read complete (every media section there); undefined while the encoder (re)starts. */
  rawSdp(): string | undefined {
    return this.description;
  }

  stderrTail(): string[] {
    return this.encoder?.stderrTail() ?? [];
  }

  async start(ffmpeg: string, sdpFile: string): Promise<void> {
    const ports: { rtpPort: number; rtcpPort: number }[] = [];
    for (const t of this.tracks) ports.push(await t.bind(this.log));
    const { id, width, height, fps, keyintSeconds } = this.cam;
    const audio = this.audio ? ports[1] : undefined;
    const sub = this.subSize && { ...this.subSize, ...ports[ports.length - 1] };
    this.encoder = new Supervisor({
      name: `sim-${id}`,
      command: ffmpeg,
      args: () => simEncoderArgs({ width, height, fps, keyintSeconds, label: id, ...ports[0], sdpFile, audio, sub }),
      log: this.log,
      backoff: { initialMs: 250, maxMs: 5000 },
      onStart: () => void this.awaitSdp(sdpFile, ++this.generation),
      onExit: () => {
        // Like a rebooting camera: clients lose their session and must reconnect, which also
        // spares them the new run's fresh SSRC and sequence numbers mid-session.
        this.generation++;
        this.description = undefined;
        for (const t of this.tracks) t.endAll();
        rmSync(sdpFile, { force: true }); // now, before the next run can write a fresh one
      },
    });
    this.encoder.start();
  }

  /** ffmpeg writes the SDP once its RTP muxers are set up; polled, as the file does not exist yet to be watched. */
  private async awaitSdp(file: string, generation: number): Promise<void> {
    const all = this.tracks.map((_, i) => i);
    while (!this.closed && generation === this.generation) {
      const raw = await readFile(file, 'utf8').catch(() => undefined);
      if (raw !== undefined && clientSdp(raw, this.cam.id, all) !== undefined && generation === this.generation) {
        this.description = raw;
        this.markReady();
        return;
      }
      await delay(SDP_POLL_MS);
    }
  }

  async close(): Promise<void> {
    this.closed = true;
    await this.encoder?.close();
    await Promise.all(this.tracks.map((t) => t.close()));
  }
}

/**
 * The SDP a client gets: ffmpeg's file names the local RTP destinations and the tool, so only the
 * media lines (port 0: the port is negotiated by SETUP), rtpmap and fmtp of the media sections
 * picked by `sections` (indexes in file order; default all) are kept, in that order, under a clean
 * session header. Undefined while the file is incomplete or lacks a picked section.
 */
export function clientSdp(raw: string, name: string, sections?: number[]): string | undefined {
  if (!raw.endsWith('\n')) return undefined; // ffmpeg ends every line, the last one too
  const media: string[][] = [];
  for (const line of raw.split(/\r?\n/)) {
    if (line.startsWith('m=')) media.push([line]);
    else if (line) media[media.length - 1]?.push(line);
  }
  const picked = (sections ?? media.map((_, i) => i)).map((i) => media[i]);
  if (!picked.length) return undefined;
  const out = ['v=0', 'o=- 0 0 IN IP4 127.0.0.1', `s=${name.replace(/[\r\n]/g, ' ')}`, 'c=IN IP4 0.0.0.0', 't=0 0'];
  for (const lines of picked) {
    const m = /^m=(\w+) \d+ RTP\/AVP (\d+)/.exec(lines?.[0] ?? '');
    if (!m) return undefined;
    const [, kind, pt] = m;
    const rtpmap = lines.find((l) => l.startsWith(`a=rtpmap:${pt} `));
    if (!rtpmap) return undefined;
    const fmtp = lines.find((l) => l.startsWith(`a=fmtp:${pt} `));
    out.push(`m=${kind} 0 RTP/AVP ${pt}`, rtpmap, ...(fmtp ? [fmtp] : []));
  }
  return `${out.join('\r\n')}\r\n`;
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
