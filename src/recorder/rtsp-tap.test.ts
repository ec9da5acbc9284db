import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer, connect, type AddressInfo, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ffmpegPath } from '../lib/ffmpeg-path.ts';
import { createLogger } from '../lib/log.ts';
import { probeTs } from '../media/ts-probe.ts';
import { CameraSim } from '../sim/camera-sim.ts';
import { MediaClock } from './media-clock.ts';
import { RtspTap } from './rtsp-tap.ts';
import type { VideoPacket } from './rtsp-watch.ts';
import { CameraUrlRedirect } from './url-redirect.ts';

const log = createLogger('test', process.env.T_LOG ?? 'silent');
let sim: CameraSim;
let dir: string;

before(async () => {
  dir = mkdtempSync(join(tmpdir(), 'vigil-tap-'));
  sim = new CameraSim({
    port: 0,
    cameras: [{ id: 'cam1', width: 320, height: 240, fps: 10, keyintSeconds: 1, audio: true }],
    log,
  });
  await sim.start();
});
after(async () => {
  await sim.close();
  rmSync(dir, { recursive: true, force: true });
});

/** Real ffmpeg pulls `url` for `seconds` into an MPEG-TS file, with the recorder's timing options. */
async function record(url: string, out: string, seconds: number): Promise<void> {
  const args = ['-loglevel', 'error', '-rtsp_transport', 'tcp', '-i', url, '-map', '0:v:0', '-c', 'copy'];
  args.push('-copyts', '-muxdelay', '0', '-muxpreload', '0', '-t', String(seconds), '-f', 'mpegts', '-y', out);
  const ff = spawn(ffmpegPath(), args, { stdio: 'ignore' });
  const code = await new Promise((r) => ff.once('exit', r));
  assert.equal(code, 0);
}

test('the tap reads the session ffmpeg has with the sim: video channel, RTP times, keyframes, sender reports', async () => {
  const packets: VideoPacket[] = [];
  const srs: { ntpMs: number; arrivalMs: number }[] = [];
  const tracks: { codec: string; clockRate: number }[] = [];
  const clock = new MediaClock();
  const tap = new RtspTap(sim.url('cam1'), {
    log,
    onConnection: () => ({
      videoTrack: (t) => tracks.push(t),
      video: (p) => {
        packets.push(p);
        clock.video(p);
      },
      senderReport: (sr) => {
        srs.push(sr);
        clock.senderReport(sr);
      },
    }),
  });
  try {
    const url = await tap.listen();
    assert.match(url, /^rtsp:\/\/127\.0\.0\.1:\d+\/cam1$/);
    const out = join(dir, 'a.ts');
    await record(url, out, 3);
    assert.deepEqual(tracks, [{ codec: 'h264', clockRate: 90_000, channel: 0 }]);
    const frames = [...new Set(packets.map((p) => p.timestamp))];
    assert.ok(frames.length >= 25, `${frames.length} frames`);
    // A keyframe every 10 frames (1 s at 10 fps), told from the H.264 payloads (FU-A of IDR slices).
    const keyTs = [...new Set(packets.filter((p) => p.keyframe).map((p) => p.timestamp))];
    assert.ok(keyTs.length >= 2, `${keyTs.length} keyframes`);
    assert.equal((keyTs[1] - keyTs[0]) >>> 0, 90_000);
    // ffmpeg's RTP muxer sends a sender report with its first packet: its NTP time is the sim's
    // clock at capture, so a frame's SR time is within a few frames of its arrival on loopback.
    assert.ok(srs.length >= 1, `${srs.length} sender reports`);
    assert.ok(Math.abs(srs[0].ntpMs - srs[0].arrivalMs) < 200, `SR vs arrival ${srs[0].ntpMs - srs[0].arrivalMs}`);
    assert.ok(clock.bySenderReports, `camera offset ${clock.cameraOffsetMs}`);
    // The file's pts are the RTP timestamps plus a constant: bound by the first keyframe, each
    // frame maps to within 200 ms of when its first packet arrived.
    const probe = probeTs(readFileSync(out));
    assert.ok(probe && probe.frames.length >= 20);
    assert.ok(clock.bind(probe.frames));
    const arrival = new Map<number, number>();
    for (const p of packets) if (!arrival.has(p.timestamp)) arrival.set(p.timestamp, p.arrivalMs);
    // The same frames by the keyframe: the file's first keyframe is the first the tap saw.
    const fileKey = probe.frames.find((f) => f.key)!;
    for (const f of probe.frames) {
      const at = arrival.get((keyTs[0] + f.pts - fileKey.pts) >>> 0);
      if (at === undefined) continue; // a frame before the first keyframe
      const wall = clock.wallOfPts(f.pts)!;
      assert.ok(Math.abs(wall - at) < 200, `pts ${f.pts}: ${wall} vs arrival ${at}`);
    }
  } finally {
    await tap.close();
  }
});

test('ffmpeg given a redirect ticket reaches the camera through the tap (credentials in the Location)', async () => {
  const redirect = new CameraUrlRedirect({ log });
  let videoPackets = 0;
  const secretUrl = sim.url('cam1').replace('rtsp://', 'rtsp://viewer:s3cret@');
  const tap = new RtspTap(secretUrl, { log, onConnection: () => ({ video: () => videoPackets++ }) });
  try {
    assert.ok(await redirect.start());
    const tapUrl = await tap.listen();
    assert.match(tapUrl, /^rtsp:\/\/viewer:s3cret@127\.0\.0\.1:/);
    const ticket = redirect.ffmpegUrl(tapUrl);
    assert.ok(!ticket.includes('s3cret'));
    await record(ticket, join(dir, 'b.ts'), 1);
    assert.ok(videoPackets > 5);
  } finally {
    await tap.close();
    await redirect.close();
  }
});

test('the tap passes bytes both ways untouched, parsed or not', async () => {
  const got: Buffer[] = [];
  const noise = Buffer.from(Array.from({ length: 70_000 }, (_, i) => (i * 7919) % 256));
  const camera: Server = createServer((s) => {
    s.on('data', (d) => got.push(d));
    s.end(Buffer.concat([Buffer.from('RTSP/1.0 200 OK\r\nCSeq: 1\r\n\r\n'), noise]));
  });
  await new Promise<void>((r) => camera.listen(0, '127.0.0.1', r));
  const port = (camera.address() as AddressInfo).port;
  const tap = new RtspTap(`rtsp://127.0.0.1:${port}/x`, { log, onConnection: () => ({}) });
  try {
    const url = new URL(await tap.listen());
    const sent = Buffer.from('OPTIONS rtsp://x/ RTSP/1.0\r\nCSeq: 1\r\n\r\n$\u0001\u0000\u0002ab garbage');
    const back: Buffer[] = [];
    await new Promise<void>((resolve, reject) => {
      const c = connect(Number(url.port), '127.0.0.1', () => c.write(sent));
      c.on('data', (d) => back.push(d));
      c.on('end', () => {
        c.end();
        resolve();
      });
      c.on('error', reject);
    });
    assert.ok(Buffer.concat(back).subarray(-noise.length).equals(noise));
    assert.ok(Buffer.concat(got).equals(sent));
  } finally {
    await tap.close();
    await new Promise((r) => camera.close(r));
  }
});
