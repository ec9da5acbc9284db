/** Seconds from the NTP era (1900) to the Unix epoch (1970). */
const NTP_UNIX_OFFSET_S = 2_208_988_800;
/** How often the sim tells each client its clock pair: real cameras send sender reports every few seconds; 1 s anchors a client quickly. */
export const SR_INTERVAL_MS = 1000;

/** An RTCP sender report (RFC 3550 §6.4.1, no report blocks): `rtpTimestamp` at wall time `ntpMs`. */
export function senderReport(
  ssrc: number,
  ntpMs: number,
  rtpTimestamp: number,
  packets: number,
  octets: number,
): Buffer {
  const b = Buffer.alloc(28);
  b[0] = 0x80;
  b[1] = 200;
  b.writeUInt16BE(6, 2);
  b.writeUInt32BE(ssrc >>> 0, 4);
  const sec = Math.floor(ntpMs / 1000);
  b.writeUInt32BE((sec + NTP_UNIX_OFFSET_S) >>> 0, 8);
  b.writeUInt32BE(Math.floor(((ntpMs - sec * 1000) / 1000) * 2 ** 32) >>> 0, 12);
  b.writeUInt32BE(rtpTimestamp >>> 0, 16);
  b.writeUInt32BE(packets >>> 0, 20);
  b.writeUInt32BE(octets >>> 0, 24);
  return b;
}

/**
 * One RTP stream's wall clock ↔ media clock as the sim (the camera) knows it: when the encoder's
 * packets leave it. ffmpeg's RTP muxer sends sender reports of its own, and they are right (within
 * ~10 ms of the frames' emission, measured), but only with its first packet, before any client has
 * joined, and then every 5 s: a client would wait up to 5 s for an anchor. So the sim reports
 * itself, every second and as a client subscribes, from the earliest emission of a frame relative
 * to its RTP timestamp (a live encoder sends a frame within milliseconds of drawing its clock on
 * it; a late event loop only makes emissions later).
 */
export class SenderClock {
  private ssrc: number | undefined;
  private lastTs = 0;
  /** Unwrapped RTP timestamp of the latest packet. */
  private ext = 0;
  /** min over packets of (emission ms − ext · 1000 / rate). */
  private offsetMs = Number.POSITIVE_INFINITY;
  private packets = 0;
  private octets = 0;

  constructor(private readonly rate: number) {}

  /** An RTP packet the encoder sent at `nowMs`. */
  rtp(p: Buffer, nowMs: number): void {
    if (p.length < 12) return;
    const ts = p.readUInt32BE(4);
    if (this.ssrc === undefined) {
      this.ssrc = p.readUInt32BE(8);
      this.lastTs = ts;
      this.ext = ts;
    } else {
      let d = (ts - this.lastTs) >>> 0;
      if (d >= 2 ** 31) d -= 2 ** 32;
      this.ext += d;
      this.lastTs = ts;
    }
    this.packets++;
    this.octets += p.length - 12;
    this.offsetMs = Math.min(this.offsetMs, nowMs - (this.ext * 1000) / this.rate);
  }

  /** A sender report for wall time `nowMs`; undefined before the first packet. */
  report(nowMs: number): Buffer | undefined {
    if (this.ssrc === undefined) return undefined;
    const rtp = Math.round(((nowMs - this.offsetMs) * this.rate) / 1000) % 2 ** 32;
    return senderReport(this.ssrc, nowMs, rtp, this.packets, this.octets);
  }

  /** The encoder restarted: a new stream, a new clock. */
  reset(): void {
    this.ssrc = undefined;
    this.offsetMs = Number.POSITIVE_INFINITY;
    this.packets = this.octets = 0;
  }
}
