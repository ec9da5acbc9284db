import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { codedPicture, tsFrames } from './ts-frames.ts';
import { ffmpegPath } from '../lib/ffmpeg-path.ts';

const ff = (args: string[]) => execFileSync(ffmpegPath(), ['-loglevel', 'error', '-y', ...args]);

test('the same frames in two files cut and muxed apart hash the same; their relative pts follow the frame rate', () => {
  const dir = mkdtempSync(join(tmpdir(), 'vigil-tsframes-'));
  try {
    const whole = join(dir, 'whole.ts');
    const tail = join(dir, 'tail.ts');
    // As the simulator encodes: SPS/PPS repeated before every IDR, one keyframe a second.
    ff([
      ...['-f', 'lavfi', '-i', 'testsrc2=size=160x120:rate=10', '-t', '3', '-c:v', 'libx264', '-bf', '0'],
      ...['-g', '10', '-x264-params', 'repeat-headers=1', '-f', 'mpegts', whole],
    ]);
    // Another muxer run over the last two seconds, with another time base: as a second server's file.
    ff(['-ss', '1', '-i', whole, '-c', 'copy', '-output_ts_offset', '500', '-f', 'mpegts', tail]);
    const a = tsFrames(readFileSync(whole))!;
    const b = tsFrames(readFileSync(tail))!;
    assert.equal(a.codec, 'h264');
    assert.equal(a.frames.length, 30);
    assert.deepEqual(
      a.frames.map((f) => f.relPts),
      Array.from({ length: 30 }, (_, k) => k * 9000),
    );
    assert.equal(new Set(a.frames.map((f) => f.hash)).size, 30, 'every picture of a moving pattern differs');
    assert.ok(b.frames.length >= 19, `the tail holds the last two seconds (${b.frames.length} frames)`);
    const at = a.frames.findIndex((f) => f.hash === b.frames[0].hash);
    assert.ok(at >= 9, `the tail's first frame is one of the whole file's (${at})`);
    assert.deepEqual(
      b.frames.map((f) => f.hash),
      a.frames.slice(at, at + b.frames.length).map((f) => f.hash),
    );
    assert.deepEqual(
      b.frames.map((f) => f.relPts),
      a.frames.slice(at, at + b.frames.length).map((f) => f.relPts - a.frames[at].relPts),
    );
    assert.equal(tsFrames(Buffer.from('not a transport stream')), undefined);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('codedPicture keeps the slices only: parameter sets, SEI and delimiters are what muxers add or repeat', () => {
  const aud = [0, 0, 0, 1, 0x09, 0xf0];
  const sps = [0, 0, 0, 1, 0x67, 1, 2, 3];
  const pps = [0, 0, 1, 0x68, 4, 5];
  const sei = [0, 0, 1, 0x06, 7, 0];
  const idr = [0, 0, 1, 0x65, 9, 9, 9];
  const withHeaders = Uint8Array.from([...aud, ...sps, ...pps, ...sei, ...idr]);
  assert.deepEqual([...codedPicture(withHeaders, 'h264')], [0, 0, 1, 0x65, 9, 9, 9]);
  assert.deepEqual([...codedPicture(Uint8Array.from(idr), 'h264')], [0, 0, 1, 0x65, 9, 9, 9]);
  // HEVC: VPS (32) and AUD (35) dropped, an IDR_W_RADL slice (19) kept.
  const hevc = Uint8Array.from([0, 0, 1, 32 << 1, 1, 0, 0, 1, 35 << 1, 1, 0, 0, 1, 19 << 1, 1, 7]);
  assert.deepEqual([...codedPicture(hevc, 'hevc')], [0, 0, 1, 19 << 1, 1, 7]);
  assert.deepEqual([...codedPicture(Uint8Array.of(1, 2, 3), 'other')], [1, 2, 3]);
});
