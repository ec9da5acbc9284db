/**
 * ffmpeg arguments that join MPEG-TS segments listed in an ffconcat file into one MP4 without
 * re-encoding. The concat demuxer shifts each file to follow the previous one, so holes between
 * segments (a failover) close up and timestamps of different servers never clash; faststart puts
 * the index first so the file plays while it downloads. Every video and audio stream, if any: a data
 * stream an MP4 cannot hold would fail the whole export.
 *
 * AAC comes out of MPEG-TS with ADTS headers, which MP4 does not take; the MP4 muxer inserts
 * aac_adtstoasc by itself for such streams (ffmpeg 4.1 and 5.1 alike, checked). Naming it here
 * (-bsf:a) would apply it to every audio stream and fail the export of a camera sending MP2/MP3
 * or AC-3, which that filter refuses.
 */
export function exportArgs(listFile: string, outFile: string): string[] {
  return [
    '-hide_banner',
    '-nostdin',
    '-nostats',
    '-loglevel',
    'error',
    '-f',
    'concat',
    '-i',
    listFile,
    '-map',
    '0:v',
    '-map',
    '0:a?',
    '-c',
    'copy',
    '-movflags',
    '+faststart',
    '-f',
    'mp4',
    '-y',
    outFile,
  ];
}

/** An ffconcat list of `files` (names relative to the list's folder, as the demuxer's safe mode wants them). */
export function concatList(files: string[]): string {
  for (const f of files)
    if (f.startsWith('/') || f.split('/').includes('..')) throw new Error(`not a relative name: ${JSON.stringify(f)}`);
  // ffconcat quotes like a shell: a quote inside single quotes is closed, escaped and reopened.
  return ['ffconcat version 1.0', ...files.map((f) => `file '${f.replaceAll("'", "'\\''")}'`), ''].join('\n');
}
