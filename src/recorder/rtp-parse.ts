/**
 * The few pieces of RTP, RTCP and SDP the RTSP tap reads from a camera's stream, without I/O:
 * an RTP packet's header and whether it starts a keyframe, an RTCP sender report's clock pair,
 * and the media sections of a session description.
 */

/** What the tap needs of one RTP packet. */
export interface RtpHeader {
  payloadType: number;
  marker: boolean;
  seq: number;
  /** The 32-bit media timestamp (the track's clock rate, 90 kHz for video). */
  timestamp: number;
  ssrc: number;
  /** Offset of the payload in the packet (after CSRCs and any header extension). */
  payloadOffset: number;
  /** End of the payload (before any padding). */
  payloadEnd: number;
}

/** The RTP header of `p`, or undefined when it is no RTP version 2 packet. */
export function parseRtp(p: Uint8Array): RtpHeader | undefined {
  if (p.length < 12 || p[0] >> 6 !== 2) return undefined;
  const cc = p[0] & 0x0f;
  let off = 12 + 4 * cc;
  if (p[0] & 0x10) {
    if (p.length < off + 4) return undefined;
    off += 4 + 4 * ((p[off + 2] << 8) | p[off + 3]);
  }
  let end = p.length;
  if (p[0] & 0x20) end -= p[p.length - 1];
  if (off > end) return undefined;
  const dv = new DataView(p.buffer, p.byteOffset, p.byteLength);
  return {
    payloadType: p[1] & 0x7f,
    marker: (p[1] & 0x80) !== 0,
    seq: dv.getUint16(2),
    timestamp: dv.getUint32(4),
    ssrc: dv.getUint32(8),
    payloadOffset: off,
    payloadEnd: end,
  };
}

/** Video codecs whose keyframes the tap recognises. */
export type VideoCodec = 'h264' | 'h265';

/**
 * Whether this RTP payload carries (the start of) a keyframe's slice: H.264 IDR (NAL type 5),
 * alone, in a STAP-A aggregate or as the first fragment of an FU-A; H.265 IRAP pictures (types
 * 16-21), alone, in an aggregation packet (48) or as the first fragment unit (49). Parameter sets
 * (SPS/PPS/VPS) travel before the keyframe but are not it.
 */
export function startsKeyframe(codec: VideoCodec, payload: Uint8Array): boolean {
  if (payload.length < 2) return false;
  if (codec === 'h264') {
    const type = payload[0] & 0x1f;
    if (type === 5) return true;
    if (type === 28) return (payload[1] & 0x80) !== 0 && (payload[1] & 0x1f) === 5; // FU-A, start bit
    if (type === 24) {
      // STAP-A: [16-bit size][NAL] …
      for (let i = 1; i + 3 <= payload.length; ) {
        const size = (payload[i] << 8) | payload[i + 1];
        if (size > 0 && (payload[i + 2] & 0x1f) === 5) return true;
        i += 2 + size;
      }
    }
    return false;
  }
  const irap = (t: number) => t >= 16 && t <= 21;
  const type = (payload[0] >> 1) & 0x3f;
  if (irap(type)) return true;
  if (type === 49) return payload.length > 2 && (payload[2] & 0x80) !== 0 && irap(payload[2] & 0x3f);
  if (type === 48) {
    // AP: 2-byte header, then [16-bit size][NAL] … (no DONL: sprop-max-don-diff is 0 for cameras)
    for (let i = 2; i + 3 <= payload.length; ) {
      const size = (payload[i] << 8) | payload[i + 1];
      if (size > 0 && irap((payload[i + 2] >> 1) & 0x3f)) return true;
      i += 2 + size;
    }
  }
  return false;
}

/** An RTCP sender report's clock pair: the camera's wall time (NTP) at a media timestamp. */
export interface SenderReport {
  ssrc: number;
  /** The NTP timestamp as Unix epoch ms (fractional). */
  ntpMs: number;
  /** The RTP timestamp that corresponds to ntpMs. */
  rtpTimestamp: number;
}

/** Seconds from the NTP era (1900) to the Unix epoch (1970). */
const NTP_UNIX_OFFSET_S = 2_208_988_800;

/** The sender reports of an RTCP (compound) packet; other RTCP packets are skipped. */
export function parseSenderReports(p: Uint8Array): SenderReport[] {
  const out: SenderReport[] = [];
  const dv = new DataView(p.buffer, p.byteOffset, p.byteLength);
  for (let i = 0; i + 4 <= p.length; ) {
    if (p[i] >> 6 !== 2) break;
    const len = 4 * (dv.getUint16(i + 2) + 1);
    if (i + len > p.length) break;
    if (p[i + 1] === 200 && len >= 28) {
      const sec = dv.getUint32(i + 8);
      const frac = dv.getUint32(i + 12);
      out.push({
        ssrc: dv.getUint32(i + 4),
        ntpMs: (sec - NTP_UNIX_OFFSET_S) * 1000 + (frac / 2 ** 32) * 1000,
        rtpTimestamp: dv.getUint32(i + 16),
      });
    }
    i += len;
  }
  return out;
}

/** One media section of a session description. */
export interface SdpMedia {
  kind: string;
  payloadType: number;
  /** The codec name of its rtpmap, lower case (h264, h265, mpeg4-generic, …). */
  codec: string;
  clockRate: number;
  /** Its a=control, as written (relative or absolute); undefined when there is none. */
  control: string | undefined;
}

/** The media sections of an SDP, in order; those without a usable rtpmap are reported with codec ''. */
export function parseSdp(sdp: string): SdpMedia[] {
  const out: SdpMedia[] = [];
  for (const line of sdp.split(/\r?\n/)) {
    const m = /^m=(\w+) \d+(?:\/\d+)? \S+ (\d+)/.exec(line);
    if (m) {
      out.push({ kind: m[1], payloadType: Number(m[2]), codec: '', clockRate: 0, control: undefined });
      continue;
    }
    const cur = out[out.length - 1];
    if (!cur) continue;
    const map = /^a=rtpmap:(\d+) ([^/\s]+)\/(\d+)/.exec(line);
    if (map && Number(map[1]) === cur.payloadType) {
      cur.codec = map[2].toLowerCase();
      cur.clockRate = Number(map[3]);
    }
    const ctl = /^a=control:(\S+)/.exec(line);
    if (ctl) cur.control = ctl[1];
  }
  return out;
}

/** Whether a SETUP request's URL names the media section whose a=control is `control`. */
export function controlMatches(setupUrl: string, control: string | undefined): boolean {
  if (control === undefined || control === '*') return false;
  if (/^rtsps?:\/\//i.test(control)) return stripHost(setupUrl) === stripHost(control);
  return setupUrl.replace(/\/+$/, '').endsWith(`/${control.replace(/^\/+/, '')}`) || setupUrl === control;
}

/** The path and query of an RTSP URL: the tap's loopback host and the camera's are the same stream. */
function stripHost(url: string): string {
  return url.replace(/^rtsps?:\/\/[^/]*/i, '').replace(/\/+$/, '');
}
