import { test } from 'node:test';
import assert from 'node:assert/strict';
import { CAMERA_CLOCK_TRUST_MS, MediaClock, PTS_WRAP, ptsToWall } from './media-clock.ts';

// A 10 fps camera: frame n has RTP timestamp base + 9000 n; ffmpeg writes pts = 9000 n + 63000.
const BASE = 4_294_000_000; // wraps after ~107 frames
const ts = (n: number) => (BASE + 9000 * n) % 2 ** 32;
const pts = (n: number) => 9000 * n + 63_000;

function feed(c: MediaClock, n: number, arrivalMs: number, key = n % 10 === 0) {
  c.video({ timestamp: ts(n), keyframe: key, arrivalMs });
  c.video({ timestamp: ts(n), keyframe: false, arrivalMs: arrivalMs + 1 }); // a frame's second packet
}

test('arrival anchor: the earliest arrival relative to media time, late frames never pull it later', () => {
  const c = new MediaClock();
  // Frames 0-9 on time (frame 3 a little late), 10-129 buffered during a 12 s pause: all arrive at once.
  for (let n = 0; n < 10; n++) feed(c, n, 1_000_000 + 100 * n + (n === 3 ? 40 : 0) + (n === 0 ? 30 : 0));
  for (let n = 10; n < 130; n++) feed(c, n, 1_013_000 + n);
  assert.ok(c.bind([{ pts: pts(0), key: true }, { pts: pts(1) }]));
  // Frame 1 came earliest relative to media: 1_000_100 − 100.
  assert.equal(c.wallOfPts(pts(0)), 1_000_000);
  assert.equal(c.wallOfPts(pts(120)), 1_012_000);
  assert.equal(c.frameIntervalMs, 100);
  assert.equal(c.reanchors, 0);
});

test('pts bound by the first keyframe when ffmpeg dropped the frames before it', () => {
  const c = new MediaClock();
  for (let n = 5; n < 40; n++) feed(c, n, 2_000_000 + 100 * n, n % 10 === 0);
  // The file starts at the first keyframe (frame 10), pts counted from the first frame the tap saw.
  assert.ok(c.bind([{ pts: pts(10) - pts(0) + 63_000 - 45_000, key: true }]));
  assert.equal(c.wallOfPts(pts(10) - 45_000), 2_001_000);
});

test('RTP wraps at 2^32 and pts at 2^33 are unwrapped', () => {
  const c = new MediaClock();
  for (let n = 0; n < 200; n++) feed(c, n, 5_000 + 100 * n);
  c.bind([{ pts: pts(0), key: true }]);
  assert.equal(c.wallOfPts(pts(150)), 5_000 + 15_000); // past the RTP wrap at frame ~107
  const m = { rate: 90_000, points: [{ pts: PTS_WRAP - 90_000, wallMs: 0 }] };
  assert.equal(ptsToWall(m, 90_000), 2000); // 33-bit pts just past its wrap
});

test('sender reports time the frames when the camera clock agrees; offset exposed', () => {
  const c = new MediaClock({ toFarm: (ms) => ms - 250 }); // the node runs 250 ms ahead of the farm
  for (let n = 0; n < 50; n++) {
    feed(c, n, 10_250 + 100 * n + 80); // 80 ms of network delay, in node time
    if (n % 20 === 0)
      c.senderReport({ ntpMs: 10_000 + 100 * n + 5, rtpTimestamp: ts(n), arrivalMs: 10_250 + 100 * n + 85 });
  }
  c.bind([{ pts: pts(0), key: true }]);
  assert.ok(c.bySenderReports);
  assert.equal(c.cameraOffsetMs, -80);
  assert.equal(c.wallOfPts(pts(0)), 10_005);
  assert.equal(c.wallOfPts(pts(45)), 10_005 + 4500);
});

test('a camera clock far off the farm is not believed: arrival timing, offset still reported', () => {
  const c = new MediaClock();
  for (let n = 0; n < 20; n++) feed(c, n, 50_000 + 100 * n);
  c.senderReport({ ntpMs: 50_000 + CAMERA_CLOCK_TRUST_MS + 5000, rtpTimestamp: ts(19), arrivalMs: 51_900 });
  c.bind([{ pts: pts(0), key: true }]);
  assert.equal(c.bySenderReports, false);
  assert.equal(c.cameraOffsetMs, 50_000 + CAMERA_CLOCK_TRUST_MS + 5000 - 51_900);
  assert.equal(c.wallOfPts(pts(0)), 50_000);
});

test('a late sender report (after a pause) does not move the offset estimate', () => {
  const c = new MediaClock();
  for (let n = 0; n < 100; n++) feed(c, n, 1000 + 100 * n + (n >= 50 ? 12_000 : 0));
  c.senderReport({ ntpMs: 1000, rtpTimestamp: ts(0), arrivalMs: 1010 });
  c.senderReport({ ntpMs: 6000, rtpTimestamp: ts(50), arrivalMs: 6000 + 12_000 });
  assert.equal(c.cameraOffsetMs, -10);
  c.bind([{ pts: pts(0), key: true }]);
  assert.equal(c.wallOfPts(pts(60)), 7000);
});

test('an RTP timestamp discontinuity re-anchors by arrival; a contradicting sender report re-anchors', () => {
  const c = new MediaClock();
  for (let n = 0; n < 10; n++) feed(c, n, 1000 + 100 * n);
  // The camera's encoder restarted: timestamps jump 1000 s ahead while 100 ms passed.
  for (let n = 10_000; n < 10_010; n++) feed(c, n, 2000 + 100 * (n - 10_000));
  c.bind([{ pts: pts(0), key: true }]);
  assert.equal(c.reanchors, 1);
  assert.equal(c.wallOfPts(pts(5)), 1500);
  assert.equal(c.wallOfPts(pts(10_003)), 2300);

  const d = new MediaClock();
  for (let n = 0; n < 30; n++) feed(d, n, 1000 + 100 * n);
  d.senderReport({ ntpMs: 1000, rtpTimestamp: ts(0), arrivalMs: 1000 });
  d.senderReport({ ntpMs: 3000 + 1500, rtpTimestamp: ts(20), arrivalMs: 3000 }); // the camera's clock stepped
  d.bind([{ pts: pts(0), key: true }]);
  assert.equal(d.reanchors, 1);
  assert.equal(d.wallOfPts(pts(10)), 2000);
  assert.equal(d.wallOfPts(pts(25)), 5000);
});

test('nothing to bind to: no frame seen', () => {
  const c = new MediaClock();
  assert.equal(c.bind([{ pts: 0 }]), false);
  assert.equal(c.wallOfPts(0), undefined);
});
