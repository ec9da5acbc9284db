/** One finished segment as ffmpeg's segment muxer lists it. */
export interface SegmentLine {
  /** File name as ffmpeg wrote it (the base name of the output template's expansion). */
  file: string;
  /**
   * Media start time in ms, as listed (the recorder's ffmpeg times count from a time base, see
   * recordArgs). ffmpeg 5.1 writes 0 here for the first segment of a run: see mpegtsVideoDurationMs.
   */
  startMs: number;
  /** Media end time in ms: the last frame's time plus one frame's duration. */
  endMs: number;
}

/** ffmpeg prints times with %f: plain decimal, no sign, no exponent. */
const SECONDS = /^\d+(?:\.\d+)?$/;

/**
 * Parses one line of `-segment_list_type csv` output: `file,start,end` with times in seconds. ffmpeg
 * quotes the file name (doubling inner quotes) when it contains `,`, `"` or a line break. Anything
 * else (a partial line, a warning that strayed onto stdout) gives undefined.
 */
export function parseSegmentLine(line: string): SegmentLine | undefined {
  const text = line.replace(/\r?\n?$/, '');
  let file: string;
  let rest: string;
  if (text.startsWith('"')) {
    let i = 1;
    file = '';
    for (;;) {
      const q = text.indexOf('"', i);
      if (q < 0) return undefined; // unterminated quote
      file += text.slice(i, q);
      if (text[q + 1] === '"') {
        file += '"';
        i = q + 2;
        continue;
      }
      if (text[q + 1] !== ',') return undefined;
      rest = text.slice(q + 2);
      break;
    }
  } else {
    const comma = text.indexOf(',');
    if (comma < 0) return undefined;
    file = text.slice(0, comma);
    if (file.includes('"')) return undefined; // ffmpeg would have quoted it
    rest = text.slice(comma + 1);
  }
  const times = rest.split(',');
  if (file === '' || times.length !== 2 || !times.every((t) => SECONDS.test(t))) return undefined;
  return { file, startMs: Math.round(Number(times[0]) * 1000), endMs: Math.round(Number(times[1]) * 1000) };
}
