/** What one simulated camera encodes and where its RTP goes. */
export interface SimEncoderOptions {
  width: number;
  height: number;
  fps: number;
  /** Seconds between keyframes: a client joining mid-stream waits at most this long for a picture. */
  keyintSeconds: number;
  /** Burned into the picture, so a recording shows which camera it came from. */
  label: string;
  rtpPort: number;
  rtcpPort: number;
  /** ffmpeg writes one SDP here, with a media section per RTP output (see simEncoderArgs), once all are set up. */
  sdpFile: string;
  /** Also send an AAC track: a sine tone, as cameras with a microphone do. */
  audio?: SimAudioOutput;
  /** Also send a second, smaller H.264 stream of the same picture, as a camera's sub stream. */
  sub?: SimSubOutput;
}

export interface SimAudioOutput {
  rtpPort: number;
  rtcpPort: number;
}

export interface SimSubOutput {
  width: number;
  height: number;
  rtpPort: number;
  rtcpPort: number;
}

/**
 * AAC, mono, low bitrate, at 48 kHz (a 1024-sample frame is 21 ms): at 16 kHz (64 ms frames),
 * ffmpeg's main loop, which always serves the output furthest behind, holds the video back behind
 * the audio encoder (two frames of delay, 128 ms, more than a 10 fps frame interval) and sends the
 * frames in 64 ms steps; at 48 kHz the audio lags ~43 ms, so video goes out when it is due (above
 * ~20 fps a frame may still wait up to one 21 ms audio frame).
 */
export const SIM_AUDIO_SAMPLE_RATE = 48_000;
const SIM_AUDIO_BITRATE = '32k';
const SIM_AUDIO_TONE_HZ = 1000;

/**
 * The ffmpeg arguments of a simulated camera: a live test pattern with the label and the wall-clock
 * time burned in, encoded as low-latency baseline H.264 and sent as RTP to 127.0.0.1.
 *
 * ffmpeg's RTP muxer carries one stream per output, so audio and the sub stream are further outputs
 * of the same process, in this order: main video, audio (if any), sub video (if any). The single
 * -sdp_file describes every RTP output, one media section each, in that same order.
 *
 * The sub stream is a second output rather than a second process: the picture is generated and
 * clock-stamped once, so both streams show the same frame and time as a real camera's do, it costs
 * one process per camera as before, and an encoder crash drops both streams together, like a
 * camera reboot.
 */
export function simEncoderArgs(o: SimEncoderOptions): string[] {
  const gop = String(Math.max(1, Math.round(o.fps * o.keyintSeconds)));
  const video = [
    '-an',
    '-c:v',
    'libx264',
    '-preset',
    'ultrafast',
    '-tune',
    'zerolatency',
    '-profile:v',
    'baseline',
    '-bf',
    '0',
    '-pix_fmt',
    'yuv420p',
    '-g',
    gop,
    '-keyint_min',
    gop,
    '-sc_threshold',
    '0',
    // Global header: SPS/PPS go into the SDP (sprop-parameter-sets), as real cameras do; on its own it
    // would also take them out of the stream, so repeat-headers puts them back before every IDR.
    '-flags',
    '+global_header',
    '-x264-params',
    'repeat-headers=1',
  ];
  const rtp = (port: number, rtcpPort: number) => `rtp://127.0.0.1:${port}?rtcpport=${rtcpPort}&pkt_size=1200`;
  const input = ['-re', '-f', 'lavfi', '-i', `testsrc2=size=${o.width}x${o.height}:rate=${o.fps}`];
  if (!o.audio && !o.sub) {
    return [
      '-hide_banner',
      '-nostats',
      '-loglevel',
      'warning',
      ...input,
      '-vf',
      overlayFilter(o.label, o.height),
      ...video,
      '-f',
      'rtp',
      '-sdp_file',
      o.sdpFile,
      rtp(o.rtpPort, o.rtcpPort),
    ];
  }
  const args = ['-hide_banner', '-nostats', '-loglevel', 'warning', ...input];
  if (o.audio)
    args.push('-re', '-f', 'lavfi', '-i', `sine=frequency=${SIM_AUDIO_TONE_HZ}:sample_rate=${SIM_AUDIO_SAMPLE_RATE}`);
  args.push('-sdp_file', o.sdpFile); // a global option: one file for all outputs, written once all are set up
  if (o.sub) {
    args.push('-filter_complex', `[0:v]${splitOverlayFilter(o.label, o.height, o.sub)}`, '-map', '[main]');
  } else {
    args.push('-map', '0:v:0', '-vf', overlayFilter(o.label, o.height));
  }
  args.push(...video, '-f', 'rtp', rtp(o.rtpPort, o.rtcpPort));
  if (o.audio) {
    args.push(
      '-map',
      '1:a:0',
      '-vn',
      '-c:a',
      'aac',
      '-ac',
      '1',
      '-ar',
      String(SIM_AUDIO_SAMPLE_RATE),
      '-b:a',
      SIM_AUDIO_BITRATE,
      // Global header: the AudioSpecificConfig goes into the SDP (config=), which RTP AAC requires.
      // No mux delay: one AAC frame per RTP packet, as cameras send it. ffmpeg's default (0.7 s) packs
      // a few hundred ms of frames into one packet: late, and in bursts for a receiver stamping arrival.
      '-flags',
      '+global_header',
      '-muxdelay',
      '0',
      '-f',
      'rtp',
      rtp(o.audio.rtpPort, o.audio.rtcpPort),
    );
  }
  if (o.sub) args.push('-map', '[sub]', ...video, '-f', 'rtp', rtp(o.sub.rtpPort, o.sub.rtcpPort));
  return args;
}

/**
 * Filter chain that burns `<label> HH:MM:SS.mmm` into each frame. ffmpeg 5.1's `localtime` has no
 * sub-second field, so each frame's pts is set to the wall clock (RTCTIME, in µs) as it is read,
 * like a camera's capture time, the text is drawn from that pts, and the pts is then put back to
 * the frame count so the encoder sees a plain constant frame rate.
 */
function overlayFilter(label: string, height: number): string {
  return [CLOCK_PTS, drawtext(label, height), FRAME_PTS].join(',');
}

/**
 * The same for main and sub stream, from one clock-stamped picture: split into `[main]` and a
 * scaled `[sub]`, each with the text drawn at its own size (scaling the main one down would leave
 * it unreadable at sub resolution). The sub's label says `/sub`, as its URL does.
 */
function splitOverlayFilter(label: string, height: number, sub: { width: number; height: number }): string {
  return (
    `${CLOCK_PTS},split=2[m][s];` +
    `[m]${drawtext(label, height)},${FRAME_PTS}[main];` +
    `[s]scale=${sub.width}:${sub.height},${drawtext(`${label}/sub`, sub.height)},${FRAME_PTS}[sub]`
  );
}

const CLOCK_PTS = 'settb=AVTB,setpts=RTCTIME';
const FRAME_PTS = 'setpts=N/FRAME_RATE/TB';

function drawtext(label: string, height: number): string {
  // Three parsers read this text in turn, each removing one level of quoting: the drawtext
  // expansion (%{fn:arg:...}), the filter's option list (k=v:k=v) and the filtergraph (a,b,c).
  const clock = '%{pts:localtime:0:%T}.%{eif:mod(t*1000,1000):d:3}';
  const text = `${label.replace(/[\\%]/g, '\\$&')} ${clock}`;
  const size = Math.max(12, Math.round(height / 16));
  const options = [
    `text=${text.replace(/[\\':]/g, '\\$&')}`,
    `fontsize=${size}`,
    'fontcolor=white',
    'box=1',
    'boxcolor=black@0.6',
    'boxborderw=4',
    'x=8',
    'y=h-th-12',
  ].join(':');
  return `drawtext=${graphQuote(options)}`;
}

/** Quotes for the filtergraph parser: inside '…' everything is literal, so only `'` needs care. */
function graphQuote(s: string): string {
  return `'${s.replace(/'/g, `'\\''`)}'`;
}
