import { test } from 'node:test';
import assert from 'node:assert/strict';
import { simEncoderArgs, type SimEncoderOptions } from './sim-args.ts';

const base: SimEncoderOptions = {
  width: 640,
  height: 360,
  fps: 15,
  keyintSeconds: 1,
  label: 'cam1',
  rtpPort: 5004,
  rtcpPort: 5005,
  sdpFile: '/tmp/sim/cam1.sdp',
};

const overlay = (label: string, fontsize: number) =>
  `settb=AVTB,setpts=RTCTIME,drawtext='text=${label} %{pts\\:localtime\\:0\\:%T}.%{eif\\:mod(t*1000,1000)\\:d\\:3}` +
  `:fontsize=${fontsize}:fontcolor=white:box=1:boxcolor=black@0.6:boxborderw=4:x=8:y=h-th-12',setpts=N/FRAME_RATE/TB`;

const cases: { name: string; o: SimEncoderOptions; want: string[] }[] = [
  {
    name: '640x360 at 15 fps, 1 s keyframes',
    o: base,
    want: [
      '-hide_banner',
      '-nostats',
      '-loglevel',
      'warning',
      '-re',
      '-f',
      'lavfi',
      '-i',
      'testsrc2=size=640x360:rate=15',
      '-vf',
      overlay('cam1', 23),
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
      '15',
      '-keyint_min',
      '15',
      '-sc_threshold',
      '0',
      '-flags',
      '+global_header',
      '-x264-params',
      'repeat-headers=1',
      '-f',
      'rtp',
      '-sdp_file',
      '/tmp/sim/cam1.sdp',
      'rtp://127.0.0.1:5004?rtcpport=5005&pkt_size=1200',
    ],
  },
  {
    name: '320x240 at 10 fps, 2 s keyframes, a label every parser would trip on',
    o: { ...base, width: 320, height: 240, fps: 10, keyintSeconds: 2, label: "lobby's 50% [a],b:c\\d" },
    want: [
      '-hide_banner',
      '-nostats',
      '-loglevel',
      'warning',
      '-re',
      '-f',
      'lavfi',
      '-i',
      'testsrc2=size=320x240:rate=10',
      // Expansion escapes % and \; the option list escapes \, ' and :; the graph quote is reopened around '.
      '-vf',
      overlay("lobby\\'\\''s 50\\\\% [a],b\\:c\\\\\\\\d", 15),
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
      '20',
      '-keyint_min',
      '20',
      '-sc_threshold',
      '0',
      '-flags',
      '+global_header',
      '-x264-params',
      'repeat-headers=1',
      '-f',
      'rtp',
      '-sdp_file',
      '/tmp/sim/cam1.sdp',
      'rtp://127.0.0.1:5004?rtcpport=5005&pkt_size=1200',
    ],
  },
];

for (const c of cases) {
  test(`simEncoderArgs: ${c.name}`, () => {
    assert.deepEqual(simEncoderArgs(c.o), c.want);
  });
}

test('simEncoderArgs: a GOP is never shorter than one frame', () => {
  const args = simEncoderArgs({ ...base, fps: 5, keyintSeconds: 0.01 });
  assert.equal(args[args.indexOf('-g') + 1], '1');
});

const x264 = (gop: string) => [
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
  '-flags',
  '+global_header',
  '-x264-params',
  'repeat-headers=1',
];
const aac = [
  '-map',
  '1:a:0',
  '-vn',
  '-c:a',
  'aac',
  '-ac',
  '1',
  '-ar',
  '48000',
  '-b:a',
  '32k',
  '-flags',
  '+global_header',
  '-muxdelay',
  '0',
  '-f',
  'rtp',
  'rtp://127.0.0.1:5006?rtcpport=5007&pkt_size=1200',
];
const head = [
  '-hide_banner',
  '-nostats',
  '-loglevel',
  'warning',
  '-re',
  '-f',
  'lavfi',
  '-i',
  'testsrc2=size=640x360:rate=15',
];
const sine = ['-re', '-f', 'lavfi', '-i', 'sine=frequency=1000:sample_rate=48000'];
const drawtext = (label: string, fontsize: number) =>
  `drawtext='text=${label} %{pts\\:localtime\\:0\\:%T}.%{eif\\:mod(t*1000,1000)\\:d\\:3}` +
  `:fontsize=${fontsize}:fontcolor=white:box=1:boxcolor=black@0.6:boxborderw=4:x=8:y=h-th-12'`;
const split =
  `[0:v]settb=AVTB,setpts=RTCTIME,split=2[m][s];[m]${drawtext('cam1', 23)},setpts=N/FRAME_RATE/TB[main];` +
  `[s]scale=320:180,${drawtext('cam1/sub', 12)},setpts=N/FRAME_RATE/TB[sub]`;
const audio = { rtpPort: 5006, rtcpPort: 5007 };
const sub = { width: 320, height: 180, rtpPort: 5008, rtcpPort: 5009 };

// Outputs in SDP order: main video, audio, sub video; one -sdp_file (a global option) for all of them.
const outputCases: { name: string; o: SimEncoderOptions; want: string[] }[] = [
  {
    name: 'audio: a sine input and a second RTP output, 48 kHz mono AAC',
    o: { ...base, audio },
    want: [
      ...head,
      ...sine,
      '-sdp_file',
      '/tmp/sim/cam1.sdp',
      '-map',
      '0:v:0',
      '-vf',
      overlay('cam1', 23),
      ...x264('15'),
      '-f',
      'rtp',
      'rtp://127.0.0.1:5004?rtcpport=5005&pkt_size=1200',
      ...aac,
    ],
  },
  {
    name: 'sub stream: the clock-stamped picture split, scaled and labelled, a second x264 output',
    o: { ...base, sub },
    want: [
      ...head,
      '-sdp_file',
      '/tmp/sim/cam1.sdp',
      '-filter_complex',
      split,
      '-map',
      '[main]',
      ...x264('15'),
      '-f',
      'rtp',
      'rtp://127.0.0.1:5004?rtcpport=5005&pkt_size=1200',
      '-map',
      '[sub]',
      ...x264('15'),
      '-f',
      'rtp',
      'rtp://127.0.0.1:5008?rtcpport=5009&pkt_size=1200',
    ],
  },
  {
    name: 'audio and sub stream: main, audio, sub',
    o: { ...base, audio, sub },
    want: [
      ...head,
      ...sine,
      '-sdp_file',
      '/tmp/sim/cam1.sdp',
      '-filter_complex',
      split,
      '-map',
      '[main]',
      ...x264('15'),
      '-f',
      'rtp',
      'rtp://127.0.0.1:5004?rtcpport=5005&pkt_size=1200',
      ...aac,
      '-map',
      '[sub]',
      ...x264('15'),
      '-f',
      'rtp',
      'rtp://127.0.0.1:5008?rtcpport=5009&pkt_size=1200',
    ],
  },
];

for (const c of outputCases) {
  test(`simEncoderArgs: ${c.name}`, () => {
    assert.deepEqual(simEncoderArgs(c.o), c.want);
  });
}

test("simEncoderArgs: the sub stream keeps the main stream's GOP in frames", () => {
  const args = simEncoderArgs({ ...base, fps: 10, keyintSeconds: 2, sub });
  const gops = args.flatMap((a, i) => (a === '-g' ? [args[i + 1]] : []));
  assert.deepEqual(gops, ['20', '20']);
});
