/** What a recorder needs to know of an MPEG-TS segment, read from its bytes without ffprobe. */
export interface TsProbe {
  /** Codec of the first video stream as the PMT declares it (undefined when no PMT was found). */
  codec: 'h264' | 'hevc' | 'other' | undefined;
  /**
   * Codec of each audio stream the PMT declares, in PMT order; empty when it declares none (or no
   * PMT was found). Stream types that do not say which audio codec they carry (0x06, private
   * data, say) are left out.
   */
  audioCodecs: TsAudioCodec[];
  /**
   * Each video frame (PES start) in file order: its 33-bit pts (90 kHz), the byte offset of its
   * first TS packet and whether the muxer flagged it a random access point (a keyframe: ffmpeg sets
   * the adaptation field's random_access_indicator on keyframes).
   */
  frames: { pts: number; offset: number; key?: boolean }[];
  /** The PID of the first program's PMT (undefined when no PAT was found). */
  pmtPid?: number;
}

const TS_PACKET = 188;
export const PTS_WRAP = 2 ** 33;
const STREAM_TYPES: Record<number, TsProbe['codec']> = { 27: 'h264', 36: 'hevc' };

/** Audio codecs an MPEG-TS stream type names. 'mp3' stands for MPEG-1/2 audio of any layer (mp2 too). */
export type TsAudioCodec = 'aac' | 'aac-latm' | 'mp3' | 'ac3';

/** The audio codec of a PMT stream type; undefined for any other type. */
export function audioStreamType(type: number): TsAudioCodec | undefined {
  switch (type) {
    case 0x0f:
      return 'aac'; // ADTS
    case 0x11:
      return 'aac-latm';
    case 0x03: // MPEG-1 audio
    case 0x04:
      return 'mp3'; // MPEG-2 audio
    case 0x81:
      return 'ac3'; // ATSC (ffmpeg's default for AC-3)
    default:
      return undefined;
  }
}

/**
 * Walks the transport stream once: PAT → PMT → the video stream's type and the audio streams'
 * codecs, and every video PES start (audio PES are skipped).
 * A file cut short (a crash mid-write) is read up to its last whole TS packet. Undefined when the
 * bytes are not an aligned transport stream.
 */
export function probeTs(ts: Uint8Array): TsProbe | undefined {
  if (ts.length < TS_PACKET || ts[0] !== 0x47) return undefined;
  let pmtPid: number | undefined;
  let videoPid: number | undefined;
  let codec: TsProbe['codec'];
  let audioCodecs: TsAudioCodec[] = [];
  const frames: TsProbe['frames'] = [];
  for (let i = 0; i + TS_PACKET <= ts.length; i += TS_PACKET) {
    if (ts[i] !== 0x47) return undefined;
    const pusi = (ts[i + 1] & 0x40) !== 0;
    const pid = ((ts[i + 1] & 0x1f) << 8) | ts[i + 2];
    const afc = (ts[i + 3] >> 4) & 3;
    if (!pusi || (afc & 1) === 0) continue;
    let p = i + 4 + (afc & 2 ? 1 + ts[i + 4] : 0);
    const end = i + TS_PACKET;
    if (pid === 0 && pmtPid === undefined) {
      p += 1 + ts[p]; // pointer field
      if (p + 12 <= end) pmtPid = ((ts[p + 10] & 0x1f) << 8) | ts[p + 11]; // first program's PMT
      continue;
    }
    if (pid === pmtPid && codec === undefined) {
      p += 1 + ts[p];
      const sectionEnd = Math.min(end, p + 3 + (((ts[p + 1] & 0x0f) << 8) | ts[p + 2]) - 4);
      let q = p + 12 + (((ts[p + 10] & 0x0f) << 8) | ts[p + 11]);
      // Every entry, for the audio; the first video one gives codec and videoPid. Read again at the
      // next PMT while no video was found, so the audio list is rebuilt, not appended to.
      audioCodecs = [];
      while (q + 5 <= sectionEnd) {
        const type = ts[q];
        const esPid = ((ts[q + 1] & 0x1f) << 8) | ts[q + 2];
        if (codec === undefined && (type === 0x1b || type === 0x24 || type === 0x02 || type === 0x10)) {
          codec = STREAM_TYPES[type] ?? 'other';
          videoPid ??= esPid;
        }
        const audio = audioStreamType(type);
        if (audio) audioCodecs.push(audio);
        q += 5 + (((ts[q + 3] & 0x0f) << 8) | ts[q + 4]);
      }
      continue;
    }
    if (p + 14 > end || ts[p] !== 0 || ts[p + 1] !== 0 || ts[p + 2] !== 1) continue;
    const streamId = ts[p + 3];
    if (streamId < 0xe0 || streamId > 0xef) continue; // not video
    videoPid ??= pid;
    if (pid !== videoPid || (ts[p + 7] & 0x80) === 0) continue; // another stream, or no pts
    const key = (afc & 2) !== 0 && ts[i + 4] > 0 && (ts[i + 5] & 0x40) !== 0;
    frames.push({ pts: readPts(ts, p + 9), offset: i, key });
  }
  return { codec, audioCodecs, frames, pmtPid };
}

/** Frame pts relative to the first frame, unwrapped (frames reorder by far less than half the range). */
export function relativePts(frames: TsProbe['frames']): number[] {
  if (!frames.length) return [];
  const first = frames[0].pts;
  return frames.map((f) => {
    let rel = (((f.pts - first) % PTS_WRAP) + PTS_WRAP) % PTS_WRAP;
    if (rel > PTS_WRAP / 2) rel -= PTS_WRAP;
    return rel;
  });
}

/**
 * Media duration (ms) of the first video stream of an MPEG-TS file, measured as ffmpeg measures a
 * segment: from the first frame's pts to the last frame's pts plus one (mean) frame interval.
 * Undefined when the file holds fewer than two timed video frames.
 */
export function mpegtsVideoDurationMs(ts: Uint8Array): number | undefined {
  const probe = probeTs(ts);
  if (!probe || probe.frames.length < 2) return undefined;
  const rel = relativePts(probe.frames);
  const span = Math.max(...rel) - Math.min(...rel);
  return ((span + span / (rel.length - 1)) / 90_000) * 1000;
}

/** The 33-bit PES timestamp, spread over 5 bytes with marker bits; arithmetic, as 33 bits overflow JS bit operators. */
function readPts(b: Uint8Array, o: number): number {
  return (
    ((b[o] >> 1) & 0x07) * 2 ** 30 + ((b[o + 1] << 7) | (b[o + 2] >> 1)) * 2 ** 15 + ((b[o + 3] << 7) | (b[o + 4] >> 1))
  );
}
