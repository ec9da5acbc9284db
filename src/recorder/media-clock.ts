/**
 * When each frame of a recording run was captured, from the media itself: the pure anchor model
 * behind a segment's start and end. One MediaClock per ffmpeg run. It is fed the video's RTP
 * packets and the camera's RTCP sender reports as the RTSP tap saw them arrive, and bound once to
 * the pts of the run's files (ffmpeg with -copyts and no wall-clock stamping writes pts = the RTP
 * timestamp unwrapped + a constant); it then maps any pts of the run to farm time.
 *
 * RTP → wall time: by the camera's sender reports (NTP ↔ RTP) when it sends them and its clock
 * agrees with the farm's, else by arrival: the earliest arrival relative to media time, so frames
 * delivered late (after a pause of the server, from a full socket buffer) never pull the anchor
 * later. A discontinuity of the RTP timestamps (the camera's encoder restarted) opens a new epoch;
 * a sender report that contradicts the mapping in force re-anchors from its own point.
 */

/** 2^32: RTP timestamps wrap here. */
const RTP_WRAP = 2 ** 32;
/** 2^33: MPEG-TS pts wrap here. */
export const PTS_WRAP = 2 ** 33;
/** A forward jump of the RTP clock this much beyond the arrival clock is a discontinuity, not late delivery. */
export const DISCONTINUITY_MS = 3000;
/** A sender report this far off the mapping in force re-anchors the run (the camera's clock stepped). */
export const SR_CONTRADICTION_MS = 500;
/** A camera whose clock is further than this from the farm's is not believed: arrival times are used. */
export const CAMERA_CLOCK_TRUST_MS = 2000;
/** Sender reports kept per epoch for the mapping (ffmpeg's muxer sends one each 5 s: minutes of them). */
const MAX_SR_POINTS = 120;
/** Offset samples from sender reports the camera's clock offset is estimated from. */
const OFFSET_SAMPLES = 12;

/**
 * A run's pts → wall mapping as points: the wall time of pts p is that of the last point at or
 * before p (or the first point, before them all) plus the media time since. Plain data, persisted
 * next to the run's staging files so recovery after a crash dates them the same way.
 */
export interface PtsMapping {
  /** Ticks per second of the pts (90 kHz). */
  rate: number;
  /** Unwrapped pts and the farm time (ms) at it, sorted by pts. */
  points: { pts: number; wallMs: number }[];
}

/** Farm time (ms) of `pts` (33-bit as in a TS file, or unwrapped) by `m`; `nearPts` picks the wrap (default: the last point's). */
export function ptsToWall(m: PtsMapping, pts: number, nearPts?: number): number | undefined {
  if (!m.points.length) return undefined;
  const near = nearPts ?? m.points[m.points.length - 1].pts;
  const full = pts + Math.round((near - pts) / PTS_WRAP) * PTS_WRAP;
  let p = m.points[0];
  for (const q of m.points) if (q.pts <= full) p = q;
  return p.wallMs + ((full - p.pts) * 1000) / m.rate;
}

/** One stretch of continuous RTP timestamps. */
interface Epoch {
  startExt: number;
  /** min over its frames of (arrival farm ms − media ms): the arrival anchor. */
  arrivalOffsetMs: number;
  /** Sender reports in it: extended RTP timestamp and the camera's wall time at it. */
  sr: { ext: number; ntpMs: number }[];
}

/** Settings of a MediaClock. */
export interface MediaClockOptions {
  /** RTP clock rate of the video (90 kHz for H.264/H.265). */
  clockRate?: number;
  /** Node time → farm time (the FarmClock's; identity by default). */
  toFarm?: (nodeMs: number) => number;
}

/** See the module comment. Times given to it are the node's clock; what it answers is farm time. */
export class MediaClock {
  private readonly rate: number;
  private readonly toFarm: (nodeMs: number) => number;
  private lastTs: number | undefined;
  private ext = 0;
  private lastArrival = 0;
  private readonly epochs: Epoch[] = [];
  /** The first frames' and keyframes' extended timestamps, to bind the pts. */
  private firstFrameExt: number | undefined;
  private readonly keyExts: number[] = [];
  private frameKey = false;
  private offsetSamples: number[] = [];
  private pendingSr: { ntpMs: number; rtpTimestamp: number; arrivalMs: number }[] = [];
  /** pts − extended RTP timestamp, once bound. */
  private ptsOffset: number | undefined;
  /** Re-anchorings so far (discontinuities and contradicting sender reports), for the log. */
  reanchors = 0;
  /** Median interval between the latest frames (ms), once two were seen. */
  private intervals: number[] = [];

  constructor(o: MediaClockOptions = {}) {
    this.rate = o.clockRate ?? 90_000;
    this.toFarm = o.toFarm ?? ((ms) => ms);
  }

  /** One video RTP packet (several make a frame: those with the same timestamp). */
  video(p: { timestamp: number; keyframe: boolean; arrivalMs: number }): void {
    const at = this.toFarm(p.arrivalMs);
    if (this.lastTs === undefined) {
      this.lastTs = p.timestamp;
      this.firstFrameExt = 0;
      this.newFrame(0, at, p.keyframe, true);
      this.flushSr();
      return;
    }
    if (p.timestamp === this.lastTs) {
      if (p.keyframe && !this.frameKey) this.markKey(this.ext);
      return;
    }
    const d = toInt32(p.timestamp - this.lastTs);
    this.lastTs = p.timestamp;
    const ext = this.ext + d;
    const mediaMs = (d * 1000) / this.rate;
    const jumped = mediaMs < -DISCONTINUITY_MS || mediaMs > at - this.lastArrival + DISCONTINUITY_MS;
    if (d > 0) this.intervals = [...this.intervals.slice(-15), mediaMs];
    this.newFrame(ext, at, p.keyframe, jumped);
  }

  /** An RTCP sender report of the video's SSRC. */
  senderReport(sr: { ntpMs: number; rtpTimestamp: number; arrivalMs: number }): void {
    if (this.lastTs === undefined) {
      this.pendingSr.push(sr);
      return;
    }
    const at = this.toFarm(sr.arrivalMs);
    // The camera's clock − the farm's, less the report's delay in transit: the largest of the recent samples.
    this.offsetSamples = [...this.offsetSamples.slice(-(OFFSET_SAMPLES - 1)), sr.ntpMs - at];
    const ext = this.ext + toInt32(sr.rtpTimestamp - this.lastTs);
    const epoch = this.epochs[this.epochs.length - 1];
    const last = epoch.sr[epoch.sr.length - 1];
    if (last) {
      const predicted = last.ntpMs + ((ext - last.ext) * 1000) / this.rate;
      if (Math.abs(sr.ntpMs - predicted) > SR_CONTRADICTION_MS) this.reanchors++;
    }
    epoch.sr.push({ ext, ntpMs: sr.ntpMs });
    epoch.sr.sort((a, b) => a.ext - b.ext);
    if (epoch.sr.length > MAX_SR_POINTS) epoch.sr.shift();
  }

  /** The camera's clock − the farm's (ms) as its sender reports show it; undefined without any. */
  get cameraOffsetMs(): number | undefined {
    return this.offsetSamples.length ? Math.max(...this.offsetSamples) : undefined;
  }

  /** Whether sender reports time the frames (the camera's clock is believed). */
  get bySenderReports(): boolean {
    const off = this.cameraOffsetMs;
    return off !== undefined && Math.abs(off) <= CAMERA_CLOCK_TRUST_MS;
  }

  /** The frame interval (ms) of the latest frames; undefined before two frames. */
  get frameIntervalMs(): number | undefined {
    if (!this.intervals.length) return undefined;
    const s = [...this.intervals].sort((a, b) => a - b);
    return s[s.length >> 1];
  }

  /** Whether bind() has found the pts offset. */
  get bound(): boolean {
    return this.ptsOffset !== undefined;
  }

  /**
   * Finds pts − RTP timestamp from the run's first file: its first keyframe is the first keyframe
   * the tap saw (ffmpeg writes all it gets from the start); without keyframes on either side, its
   * first frame is the first frame the tap saw. False when the tap saw nothing to bind to.
   */
  bind(frames: { pts: number; key?: boolean }[]): boolean {
    if (this.firstFrameExt === undefined || !frames.length) return false;
    const key = frames.find((f) => f.key);
    const byFirst = frames[0].pts - this.firstFrameExt;
    this.ptsOffset = key && this.keyExts.length ? key.pts - this.keyExts[0] : byFirst;
    return true;
  }

  /** The mapping in force (pts → farm time), undefined until bound and a frame was seen. */
  mapping(): PtsMapping | undefined {
    const off = this.ptsOffset;
    if (off === undefined || !this.epochs.length) return undefined;
    const trustSr = this.bySenderReports;
    const points: PtsMapping['points'] = [];
    for (const e of this.epochs) {
      if (trustSr && e.sr.length) for (const s of e.sr) points.push({ pts: s.ext + off, wallMs: s.ntpMs });
      else points.push({ pts: e.startExt + off, wallMs: e.arrivalOffsetMs + (e.startExt * 1000) / this.rate });
    }
    // Epochs after a jump back start below earlier points: sorted, the later epoch's point wins its range.
    points.sort((a, b) => a.pts - b.pts);
    return { rate: this.rate, points };
  }

  /** Farm time (ms) of a frame's pts (33-bit as in the file); undefined until bound. */
  wallOfPts(pts: number): number | undefined {
    const m = this.mapping();
    return m && ptsToWall(m, pts, this.ext + (this.ptsOffset ?? 0));
  }

  private newFrame(ext: number, at: number, key: boolean, newEpoch: boolean): void {
    this.ext = ext;
    this.lastArrival = at;
    this.frameKey = false;
    if (key) this.markKey(ext);
    const mediaMs = (ext * 1000) / this.rate;
    if (newEpoch) {
      if (this.epochs.length) this.reanchors++;
      this.epochs.push({ startExt: ext, arrivalOffsetMs: at - mediaMs, sr: [] });
      return;
    }
    const e = this.epochs[this.epochs.length - 1];
    e.arrivalOffsetMs = Math.min(e.arrivalOffsetMs, at - mediaMs);
  }

  private markKey(ext: number): void {
    this.frameKey = true;
    if (this.keyExts.length < 8) this.keyExts.push(ext);
  }

  private flushSr(): void {
    const waiting = this.pendingSr;
    this.pendingSr = [];
    for (const sr of waiting) this.senderReport(sr);
  }
}

/** The 32-bit difference of two RTP timestamps as a signed number, as ffmpeg unwraps them. */
function toInt32(d: number): number {
  const u = ((d % RTP_WRAP) + RTP_WRAP) % RTP_WRAP;
  return u >= RTP_WRAP / 2 ? u - RTP_WRAP : u;
}
