import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile, execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { concatList, exportArgs } from './export-args.ts';
import { ffmpegPath } from '../lib/ffmpeg-path.ts';

const exportCases: { name: string; list: string; out: string; want: string[] }[] = [
  {
    name: 'concat demuxer, copy every video and any audio stream, faststart MP4',
    list: '/tmp/x/list.txt',
    out: '/tmp/x/out.mp4',
    want: [
      '-hide_banner',
      '-nostdin',
      '-nostats',
      '-loglevel',
      'error',
      '-f',
      'concat',
      '-i',
      '/tmp/x/list.txt',
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
      '/tmp/x/out.mp4',
    ],
  },
  {
    name: 'paths stay one argument each, spaces and all',
    list: '/tmp/a b/list.ffconcat',
    out: '/tmp/a b/export.mp4',
    want: [
      '-hide_banner',
      '-nostdin',
      '-nostats',
      '-loglevel',
      'error',
      '-f',
      'concat',
      '-i',
      '/tmp/a b/list.ffconcat',
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
      '/tmp/a b/export.mp4',
    ],
  },
];

for (const c of exportCases) {
  test(`export: ${c.name}`, () => {
    assert.deepEqual(exportArgs(c.list, c.out), c.want);
  });
}

test('concat list: one quoted relative name a line, quotes escaped', () => {
  assert.equal(concatList(['000001.ts', "it's.ts"]), "ffconcat version 1.0\nfile '000001.ts'\nfile 'it'\\''s.ts'\n");
  assert.throws(() => concatList(['/etc/passwd']));
  assert.throws(() => concatList(['../x.ts']));
});

test('export of real segments: AAC (ADTS in MPEG-TS) goes into the MP4, MP2 audio and no audio export too', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'vigil-export-test-'));
  try {
    const cases: { audio: string[]; want: string[] }[] = [
      { audio: ['-c:a', 'aac'], want: ['video h264 avc1', 'audio aac mp4a'] },
      { audio: ['-c:a', 'mp2'], want: ['video h264 avc1', 'audio mp3 mp4a'] }, // ffprobe names MPEG audio in MP4 mp3
      { audio: ['-an'], want: ['video h264 avc1'] },
    ];
    for (const [i, c] of cases.entries()) {
      // Two 1 s segments, as the recorder writes them: H.264 with 1 s GOPs and, maybe, audio.
      const names = [0, 1].map((n) => {
        const name = `${i}-${n}.ts`;
        execFileSync(ffmpegPath(), [
          '-loglevel',
          'error',
          '-f',
          'lavfi',
          '-i',
          'testsrc2=size=160x120:rate=10',
          '-f',
          'lavfi',
          '-i',
          'sine=sample_rate=48000',
          '-t',
          '1',
          '-c:v',
          'libx264',
          '-g',
          '10',
          ...c.audio,
          '-ac',
          '1',
          '-f',
          'mpegts',
          join(dir, name),
        ]);
        return name;
      });
      writeFileSync(join(dir, `${i}.ffconcat`), concatList(names));
      const out = join(dir, `${i}.mp4`);
      execFileSync(ffmpegPath(), exportArgs(join(dir, `${i}.ffconcat`), out));
      const { stdout, stderr } = await promisify(execFile)('ffprobe', [
        '-v',
        'error',
        '-count_frames',
        '-show_entries',
        'stream=codec_type,codec_name,codec_tag_string,nb_read_frames',
        '-of',
        'json',
        out,
      ]);
      assert.equal(stderr, '', `ffprobe reported decoding errors in export ${i}`);
      const streams = (JSON.parse(stdout) as { streams: Record<string, string>[] }).streams;
      assert.deepEqual(
        streams.map((s) => `${s.codec_type} ${s.codec_name} ${s.codec_tag_string}`),
        c.want,
        `export ${i}`,
      );
      assert.equal(Number(streams[0].nb_read_frames), 20, `export ${i}: every video frame of both segments`);
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
