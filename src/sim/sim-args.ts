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
  /** ffmpeg writes the stream's SDP here once the RTP muxer is set up. */
  sdpFile: string;
}

/**
 * The ffmpeg arguments of a simulated camera: a live test pattern with the label and the wall-clock
 * time burned in, encoded as low-latency baseline H.264 and sent as RTP to 127.0.0.1.
 */
export function simEncoderArgs(o: SimEncoderOptions): string[] {
  const gop = String(Math.max(1, Math.round(o.fps * o.keyintSeconds)));
  return [
    '-hide_banner', '-nostats', '-loglevel', 'warning',
    '-re', '-f', 'lavfi', '-i', `testsrc2=size=${o.width}x${o.height}:rate=${o.fps}`,
    '-vf', overlayFilter(o.label, o.height),
    '-an',
    '-c:v', 'libx264', '-preset', 'ultrafast', '-tune', 'zerolatency',
    '-profile:v', 'baseline', '-bf', '0', '-pix_fmt', 'yuv420p',
    '-g', gop, '-keyint_min', gop, '-sc_threshold', '0',
    // Global header: SPS/PPS go into the SDP (sprop-parameter-sets), as real cameras do; on its own it
    // would also take them out of the stream, so repeat-headers puts them back before every IDR.
    '-flags', '+global_header', '-x264-params', 'repeat-headers=1',
    '-f', 'rtp', '-sdp_file', o.sdpFile,
    `rtp://127.0.0.1:${o.rtpPort}?rtcpport=${o.rtcpPort}&pkt_size=1200`,
  ];
}

/**
 * Filter chain that burns `<label> HH:MM:SS.mmm` into each frame. ffmpeg 5.1's `localtime` has no
 * sub-second field, so each frame's pts is set to the wall clock (RTCTIME, in µs) as it is read,
 * like a camera's capture time, the text is drawn from that pts, and the pts is then put back to
 * the frame count so the encoder sees a plain constant frame rate.
 */
function overlayFilter(label: string, height: number): string {
  // Three parsers read this text in turn, each removing one level of quoting: the drawtext
  // expansion (%{fn:arg:...}), the filter's option list (k=v:k=v) and the filtergraph (a,b,c).
  const clock = '%{pts:localtime:0:%T}.%{eif:mod(t*1000,1000):d:3}';
  const text = `${label.replace(/[\\%]/g, '\\$&')} ${clock}`;
  const size = Math.max(12, Math.round(height / 16));
  const drawtext = [
    `text=${text.replace(/[\\':]/g, '\\$&')}`,
    `fontsize=${size}`, 'fontcolor=white', 'box=1', 'boxcolor=black@0.6', 'boxborderw=4', 'x=8', 'y=h-th-12',
  ].join(':');
  return ['settb=AVTB', 'setpts=RTCTIME', `drawtext=${graphQuote(drawtext)}`, 'setpts=N/FRAME_RATE/TB'].join(',');
}

/** Quotes for the filtergraph parser: inside '…' everything is literal, so only `'` needs care. */
function graphQuote(s: string): string {
  return `'${s.replace(/'/g, `'\\''`)}'`;
}
