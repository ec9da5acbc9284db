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
  /** The epoch second the run starts in: the first part of its staging file names (see stagingPrefix). */
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
 * audio and cut MPEG-TS segments whose `file,start,end` lines arrive as CSV on stdout. The pts are
 * the camera's media time (RTP timestamps unwrapped, from about 0 at the run's start; -copyts keeps
 * them as the demuxer gives them): never the wall clock at arrival, which dates footage that was
 * buffered (a paused server, a full socket) by when ffmpeg got to it. The recorder puts them in
 * farm time through the run's MediaClock. The segment muxer's schedule (a cut at the first
 * keyframe at or after segment_time × (segments so far + 1)) runs in that media time. Cuts follow
 * the video alone (the first video stream is the reference); audio goes into the open segment.
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
    '-i',
    o.url,
    // `0:a?`: the ? lets a camera without audio record all the same.
    '-map',
    '0:v:0',
    ...((o.audio ?? true) ? ['-map', '0:a?'] : []),
    '-c',
    'copy',
    '-copyts',
    // No mux delay: the file's pts are then exactly the demuxer's, so a segment cut short by a
    // crash can be placed in time from its own bytes and the run's anchor. Flushing each packet bounds what a SIGKILL
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
