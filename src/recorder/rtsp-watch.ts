import {
  controlMatches,
  parseRtp,
  parseSdp,
  parseSenderReports,
  startsKeyframe,
  type SdpMedia,
  type SenderReport,
  type VideoCodec,
} from './rtp-parse.ts';

/** One item of an RTSP connection's byte stream: a message (request or reply) or an interleaved frame. */
export type RtspItem =
  | { kind: 'message'; head: string; body: Buffer }
  | { kind: 'frame'; channel: number; payload: Buffer };

const MAX_HEAD_BYTES = 64 * 1024;

/**
 * Splits one direction of an RTSP-over-TCP connection into messages and `$` frames. Only reads:
 * the tap passes the bytes on untouched whatever this makes of them, and gives up (`lost`) on a
 * stream it cannot follow rather than guess.
 */
export class RtspSplitter {
  private pending: Buffer = Buffer.alloc(0);
  /** Set once the stream made no sense: nothing more is parsed. */
  lost = false;

  /** Feeds the next bytes; returns the complete items they finish, in order. */
  push(chunk: Buffer): RtspItem[] {
    if (this.lost) return [];
    this.pending = this.pending.length ? Buffer.concat([this.pending, chunk]) : chunk;
    const out: RtspItem[] = [];
    for (;;) {
      const buf = this.pending;
      if (!buf.length) break;
      if (buf[0] === 0x24) {
        if (buf.length < 4) break;
        const end = 4 + buf.readUInt16BE(2);
        if (buf.length < end) break;
        out.push({ kind: 'frame', channel: buf[1], payload: buf.subarray(4, end) });
        this.pending = buf.subarray(end);
        continue;
      }
      if (buf[0] === 0x0d || buf[0] === 0x0a) {
        this.pending = buf.subarray(1);
        continue;
      }
      const headEnd = buf.indexOf('\r\n\r\n');
      if (headEnd < 0) {
        if (buf.length > MAX_HEAD_BYTES) this.lose();
        break;
      }
      const head = buf.subarray(0, headEnd).toString('latin1');
      if (!/^(RTSP\/1\.\d \d{3}|[A-Z_]+ \S+ RTSP\/1\.\d)/.test(head)) {
        this.lose();
        break;
      }
      const len = Number(/\r\ncontent-length:\s*(\d+)/i.exec(head)?.[1] ?? 0);
      const end = headEnd + 4 + len;
      if (buf.length < end) break;
      out.push({ kind: 'message', head, body: Buffer.from(buf.subarray(headEnd + 4, end)) });
      this.pending = buf.subarray(end);
    }
    // Frames are handed out as views: copy the rest, so a kept view never pins a large chunk.
    if (this.pending.length) this.pending = Buffer.from(this.pending);
    return out;
  }

  private lose(): void {
    this.lost = true;
    this.pending = Buffer.alloc(0);
  }
}

/** One video RTP packet as the tap saw it arrive. */
export interface VideoPacket {
  timestamp: number;
  seq: number;
  ssrc: number;
  marker: boolean;
  /** Whether the packet starts a keyframe (see startsKeyframe). */
  keyframe: boolean;
  /** When the tap read it (the tap's clock, ms). */
  arrivalMs: number;
}

/** What a watched session reports: its video track once set up, each video packet and sender report. */
export interface RtspWatchListener {
  videoTrack?(t: { codec: string; clockRate: number; channel: number }): void;
  video?(p: VideoPacket): void;
  senderReport?(sr: SenderReport & { arrivalMs: number }): void;
}

/** H.264 and H.265 by their rtpmap names. */
function videoCodec(codec: string): VideoCodec | undefined {
  if (codec === 'h264') return 'h264';
  if (codec === 'h265' || codec === 'hevc') return 'h265';
  return undefined;
}

/**
 * Follows one RTSP session between ffmpeg and a camera: the DESCRIBE reply's SDP (media kinds,
 * clock rates, controls), ffmpeg's SETUP requests paired by CSeq with the camera's replies (the
 * interleaved channels each track got), and then the camera's `$` frames: for the first video
 * track, each RTP packet's timestamp, marker and arrival and whether it starts a keyframe, and the
 * RTCP sender reports on its control channel. Pure: fed bytes and their arrival times.
 */
export class RtspWatch {
  private readonly fromClient = new RtspSplitter();
  private readonly fromCamera = new RtspSplitter();
  /** Requests by CSeq: method and URL, to read their replies. */
  private readonly asked = new Map<string, { method: string; url: string }>();
  private media: SdpMedia[] = [];
  private video: { rtp: number; rtcp: number; codec: VideoCodec | undefined; clockRate: number } | undefined;

  constructor(private readonly on: RtspWatchListener) {}

  /** Bytes ffmpeg sent towards the camera. */
  client(chunk: Buffer): void {
    for (const item of this.fromClient.push(chunk)) {
      if (item.kind !== 'message') continue;
      const m = /^([A-Z_]+) (\S+) RTSP/.exec(item.head);
      const cseq = header(item.head, 'cseq');
      if (m && cseq !== undefined) this.asked.set(cseq, { method: m[1], url: m[2] });
    }
  }

  /** Bytes the camera sent towards ffmpeg, read at `arrivalMs`. */
  camera(chunk: Buffer, arrivalMs: number): void {
    for (const item of this.fromCamera.push(chunk)) {
      if (item.kind === 'frame') this.frame(item.channel, item.payload, arrivalMs);
      else this.reply(item.head, item.body);
    }
  }

  private reply(head: string, body: Buffer): void {
    if (!/^RTSP\/1\.\d 200/.test(head)) return;
    const cseq = header(head, 'cseq');
    const req = cseq === undefined ? undefined : this.asked.get(cseq);
    if (!req) return;
    this.asked.delete(cseq!);
    if (req.method === 'DESCRIBE' && body.length) this.media = parseSdp(body.toString('utf8'));
    if (req.method !== 'SETUP' || this.video) return;
    const ch = /interleaved=(\d+)(?:-(\d+))?/i.exec(header(head, 'transport') ?? '');
    if (!ch) return;
    const track =
      this.media.find((m) => controlMatches(req.url, m.control)) ??
      (this.media.length === 1 ? this.media[0] : undefined);
    if (track?.kind !== 'video') return;
    const rtp = Number(ch[1]);
    this.video = {
      rtp,
      rtcp: ch[2] === undefined ? rtp + 1 : Number(ch[2]),
      codec: videoCodec(track.codec),
      clockRate: track.clockRate || 90_000,
    };
    this.on.videoTrack?.({ codec: track.codec, clockRate: this.video.clockRate, channel: rtp });
  }

  private frame(channel: number, payload: Buffer, arrivalMs: number): void {
    const v = this.video;
    if (!v) return;
    if (channel === v.rtp) {
      const h = parseRtp(payload);
      if (!h) return;
      const body = payload.subarray(h.payloadOffset, h.payloadEnd);
      this.on.video?.({
        timestamp: h.timestamp,
        seq: h.seq,
        ssrc: h.ssrc,
        marker: h.marker,
        keyframe: v.codec !== undefined && startsKeyframe(v.codec, body),
        arrivalMs,
      });
    } else if (channel === v.rtcp) {
      for (const sr of parseSenderReports(payload)) this.on.senderReport?.({ ...sr, arrivalMs });
    }
  }
}

/** A header's value in a message head (name case-insensitive), trimmed; undefined when absent. */
function header(head: string, name: string): string | undefined {
  const re = new RegExp(`\\r\\n${name}:[ \\t]*([^\\r\\n]*)`, 'i');
  return re.exec(head)?.[1].trim();
}
