import { test } from 'node:test';
import assert from 'node:assert/strict';
import { recordArgs } from './ffmpeg-args.ts';
import { stagingTimeBase } from '../storage/layout.ts';

const cases: { name: string; input: Parameters<typeof recordArgs>[0]; want: string }[] = [
  {
    name: 'rtsp over tcp, copy video and any audio, 1 s mpegts segments, wall-clock timestamps',
    input: {
      url: 'rtsp://u:p@cam1:554/h264',
      stagingDir: '/data/.staging/cam1',
      runId: 'lx3k9a-1',
      segmentSeconds: 1,
      timeBaseSeconds: 1795488612,
    },
    want:
      '-hide_banner -nostats -loglevel warning -rtsp_transport tcp -timeout 5000000 ' +
      '-analyzeduration 1000000 -probesize 1000000 ' +
      '-i rtsp://u:p@cam1:554/h264 -map 0:v:0 -map 0:a? -c copy -copyts -muxdelay 0 -muxpreload 0 ' +
      '-f segment -segment_time 1 -segment_format mpegts -segment_format_options flush_packets=1 -reset_timestamps 0 ' +
      '-segment_list pipe:1 -segment_list_type csv /data/.staging/cam1/1795488612_lx3k9a-1-%06d.ts',
  },
  {
    name: 'segment length, time base and run id flow into the arguments',
    input: { url: 'rtsp://cam2/s', stagingDir: '/s', runId: 'r2', segmentSeconds: 4, timeBaseSeconds: 1700000000 },
    want:
      '-hide_banner -nostats -loglevel warning -rtsp_transport tcp -timeout 5000000 ' +
      '-analyzeduration 1000000 -probesize 1000000 ' +
      '-i rtsp://cam2/s -map 0:v:0 -map 0:a? -c copy -copyts -muxdelay 0 -muxpreload 0 ' +
      '-f segment -segment_time 4 -segment_format mpegts -segment_format_options flush_packets=1 -reset_timestamps 0 ' +
      '-segment_list pipe:1 -segment_list_type csv /s/1700000000_r2-%06d.ts',
  },
  {
    name: 'audio: true is the default',
    input: {
      url: 'rtsp://cam2/s',
      stagingDir: '/s',
      runId: 'r2',
      segmentSeconds: 4,
      timeBaseSeconds: 1700000000,
      audio: true,
    },
    want:
      '-hide_banner -nostats -loglevel warning -rtsp_transport tcp -timeout 5000000 ' +
      '-analyzeduration 1000000 -probesize 1000000 ' +
      '-i rtsp://cam2/s -map 0:v:0 -map 0:a? -c copy -copyts -muxdelay 0 -muxpreload 0 ' +
      '-f segment -segment_time 4 -segment_format mpegts -segment_format_options flush_packets=1 -reset_timestamps 0 ' +
      '-segment_list pipe:1 -segment_list_type csv /s/1700000000_r2-%06d.ts',
  },
  {
    name: 'audio: false records the first video stream alone',
    input: {
      url: 'rtsp://cam2/s',
      stagingDir: '/s',
      runId: 'r2',
      segmentSeconds: 4,
      timeBaseSeconds: 1700000000,
      audio: false,
    },
    want:
      '-hide_banner -nostats -loglevel warning -rtsp_transport tcp -timeout 5000000 ' +
      '-analyzeduration 1000000 -probesize 1000000 ' +
      '-i rtsp://cam2/s -map 0:v:0 -c copy -copyts -muxdelay 0 -muxpreload 0 ' +
      '-f segment -segment_time 4 -segment_format mpegts -segment_format_options flush_packets=1 -reset_timestamps 0 ' +
      '-segment_list pipe:1 -segment_list_type csv /s/1700000000_r2-%06d.ts',
  },
];

for (const c of cases) {
  test(c.name, () => {
    assert.equal(recordArgs(c.input).join(' '), c.want);
  });
}

test('ffmpeg 4 (the npm-shipped fallback) gets -stimeout: its -timeout would make it listen', () => {
  const args = recordArgs({
    url: 'rtsp://c/s',
    stagingDir: '/s',
    runId: 'r',
    segmentSeconds: 1,
    timeBaseSeconds: 5,
    ffmpegMajor: 4,
  });
  assert.equal(args[args.indexOf('-stimeout') + 1], '5000000');
  assert.ok(!args.includes('-timeout'));
});

test('the url stays one argument even with spaces', () => {
  const args = recordArgs({
    url: 'rtsp://cam/a b',
    stagingDir: '/s',
    runId: 'r',
    segmentSeconds: 1,
    timeBaseSeconds: 5,
  });
  assert.equal(args[args.indexOf('-i') + 1], 'rtsp://cam/a b');
});

test('a time base that is not a whole non-negative second is refused', () => {
  for (const timeBaseSeconds of [-1, 1.5, Number.NaN]) {
    assert.throws(() =>
      recordArgs({ url: 'rtsp://c/s', stagingDir: '/s', runId: 'r', segmentSeconds: 1, timeBaseSeconds }),
    );
  }
});

test('staging names carry the time base; foreign files give undefined', () => {
  assert.equal(stagingTimeBase('1795488612_lx3k9a-1-000003.ts'), 1795488612);
  for (const f of ['x.ts', '1795488612_lx3k9a-1-000003.ts.part', '../1_a-000001.ts', '1795488612-000001.ts'])
    assert.equal(stagingTimeBase(f), undefined, f);
});

test('packets keep the media time: no wall-clock stamping, -copyts keeps the demuxer pts', () => {
  const args = recordArgs({ url: 'rtsp://c/s', stagingDir: '/s', runId: 'r', segmentSeconds: 1, timeBaseSeconds: 5 });
  assert.ok(!args.includes('-use_wallclock_as_timestamps'));
  assert.ok(!args.includes('-itsoffset'));
  assert.ok(args.includes('-copyts'));
});

test('a split part of a staging file is a staging file of the same run', () => {
  assert.equal(stagingTimeBase('1795488612_lx3k9a-1-000003.p1.ts'), 1795488612);
});
