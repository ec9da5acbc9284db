import { stagingPrefix } from '../storage/layout.ts';
/** What one recording run of a camera needs to know. */
export interface RecordArgsOptions {
  /** RTSP URL of the camera; may carry credentials, so never log these arguments unredacted. */
  url: string;
  /** Folder the segment files are written to before they are validated and moved into storage. */
  stagingDir: string;
  /** Unique per ffmpeg run, so a restarted run never overwrites a file an older run left behind. */
  runId: string;
  /** Target segment length; cuts still only happen on keyframes. */
  segmentSeconds: number;
  /**
   * Whole epoch second subtracted from every packet's wall-clock time (take the second ffmpeg is
   * started in): add it back to the listed times. Why: the segment muxer cuts at the first keyframe
   * at or after segment_time × (segments so far + 1) in media time, and with raw epoch times that
   * schedule lies 55 years in the past, so it would cut at every keyframe whatever segment_time says.
   */
  timeBaseSeconds: number;
  /** ffmpeg's major version: before 5.0 the RTSP socket timeout is -stimeout and -timeout means listen. */
  ffmpegMajor?: number;
  /**
   * Also record the camera's audio streams (default true): copied as they come, so a camera
   * without audio still records, video only. False records the first video stream alone.
   */
  audio?: boolean;
}

/** RTSP socket I/O timeout: a camera silent this long makes ffmpeg exit, so the supervisor reconnects. */
const IO_TIMEOUT_US = 5_000_000;
/**
 * Probing budget. ffmpeg's defaults (5 s, 5 MB) delay the first written packet by up to 5 s; the SDP
 * already names the codec, so 1 s / 1 MB is enough to see one keyframe of a camera with 1 s GOPs
 * while keeping the start of recording close to the connect.
 */
const ANALYZE_US = 1_000_000;
const PROBE_BYTES = 1_000_000;

/**
 * ffmpeg arguments for one recording run: pull RTSP over TCP, copy the first video stream and any
 * audio, stamp packets with the wall clock at arrival (minus timeBaseSeconds, kept as is by -copyts)
 * and cut MPEG-TS segments whose `file,start,end` lines (seconds since timeBaseSeconds) arrive as CSV
 * on stdout. Cuts and listed times follow the video alone (the segment muxer's reference stream is
 * the first video stream); audio packets go into the segment open when they arrive.
 */
export function recordArgs(o: RecordArgsOptions): string[] {
  if (!Number.isSafeInteger(o.timeBaseSeconds) || o.timeBaseSeconds < 0)
    throw new Error(`bad time base ${o.timeBaseSeconds}`);
  return [
    '-hide_banner',
    '-nostats',
    '-loglevel',
    'warning',
    '-rtsp_transport',
    'tcp',
    (o.ffmpegMajor ?? 5) >= 5 ? '-timeout' : '-stimeout',
    String(IO_TIMEOUT_US),
    '-analyzeduration',
    String(ANALYZE_US),
    '-probesize',
    String(PROBE_BYTES),
    '-use_wallclock_as_timestamps',
    '1',
    '-itsoffset',
    `-${o.timeBaseSeconds}`,
    '-i',
    o.url,
    // `0:a?`: the ? lets a camera without audio record all the same.
    '-map',
    '0:v:0',
    ...((o.audio ?? true) ? ['-map', '0:a?'] : []),
    '-c',
    'copy',
    '-copyts',
    // No mux delay: the file's pts are then exactly the listed times, so a segment cut short by a
    // crash can be placed in time from its own bytes. Flushing each packet bounds what a SIGKILL
    // loses to the frame being written (the 32 KB write buffer would hold ~1 s at low bitrates).
    '-muxdelay',
    '0',
    '-muxpreload',
    '0',
    '-f',
    'segment',
    '-segment_time',
    String(o.segmentSeconds),
    '-segment_format',
    'mpegts',
    '-segment_format_options',
    'flush_packets=1',
    '-reset_timestamps',
    '0',
    '-segment_list',
    'pipe:1',
    '-segment_list_type',
    'csv',
    `${o.stagingDir}/${stagingPrefix(o.timeBaseSeconds, o.runId)}-%06d.ts`,
  ];
}
