import { test } from 'node:test';
import assert from 'node:assert/strict';
import { simEncoderArgs, type SimEncoderOptions } from './sim-args.ts';

const base: SimEncoderOptions = {
  width: 640, height: 360, fps: 15, keyintSeconds: 1, label: 'cam1',
  rtpPort: 5004, rtcpPort: 5005, sdpFile: '/tmp/sim/cam1.sdp',
};

const overlay = (label: string, fontsize: number) =>
  `settb=AVTB,setpts=RTCTIME,drawtext='text=${label} %{pts\\:localtime\\:0\\:%T}.%{eif\\:mod(t*1000,1000)\\:d\\:3}` +
  `:fontsize=${fontsize}:fontcolor=white:box=1:boxcolor=black@0.6:boxborderw=4:x=8:y=h-th-12',setpts=N/FRAME_RATE/TB`;

const cases: { name: string; o: SimEncoderOptions; want: string[] }[] = [
  {
    name: '640x360 at 15 fps, 1 s keyframes',
    o: base,
    want: [
      '-hide_banner', '-nostats', '-loglevel', 'warning',
      '-re', '-f', 'lavfi', '-i', 'testsrc2=size=640x360:rate=15',
      '-vf', overlay('cam1', 23),
      '-an',
      '-c:v', 'libx264', '-preset', 'ultrafast', '-tune', 'zerolatency',
      '-profile:v', 'baseline', '-bf', '0', '-pix_fmt', 'yuv420p',
      '-g', '15', '-keyint_min', '15', '-sc_threshold', '0',
      '-flags', '+global_header', '-x264-params', 'repeat-headers=1',
      '-f', 'rtp', '-sdp_file', '/tmp/sim/cam1.sdp',
      'rtp://127.0.0.1:5004?rtcpport=5005&pkt_size=1200',
    ],
  },
  {
    name: '320x240 at 10 fps, 2 s keyframes, a label every parser would trip on',
    o: { ...base, width: 320, height: 240, fps: 10, keyintSeconds: 2, label: "lobby's 50% [a],b:c\\d" },
    want: [
      '-hide_banner', '-nostats', '-loglevel', 'warning',
      '-re', '-f', 'lavfi', '-i', 'testsrc2=size=320x240:rate=10',
      // Expansion escapes % and \; the option list escapes \, ' and :; the graph quote is reopened around '.
      '-vf', overlay("lobby\\'\\''s 50\\\\% [a],b\\:c\\\\\\\\d", 15),
      '-an',
      '-c:v', 'libx264', '-preset', 'ultrafast', '-tune', 'zerolatency',
      '-profile:v', 'baseline', '-bf', '0', '-pix_fmt', 'yuv420p',
      '-g', '20', '-keyint_min', '20', '-sc_threshold', '0',
      '-flags', '+global_header', '-x264-params', 'repeat-headers=1',
      '-f', 'rtp', '-sdp_file', '/tmp/sim/cam1.sdp',
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
