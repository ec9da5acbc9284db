import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { mpegtsVideoDurationMs, probeTs } from './ts-probe.ts';
import { ffmpegPath } from '../lib/ffmpeg-path.ts';

/** A transport stream of `ptsList.length` video PES packets (PID 0x100), one per 188-byte packet. */
function fakeTs(ptsList: number[], opts: { adaptation?: boolean } = {}): Uint8Array {
  const out = new Uint8Array(188 * (ptsList.length + 1)).fill(0xff);
  // a PAT-like packet first, which must be skipped
  out.set([0x47, 0x40, 0x00, 0x10, 0x00], 0);
  ptsList.forEach((pts, n) => {
    const i = 188 * (n + 1);
    const af = opts.adaptation ?? false;
    out.set([0x47, 0x41, 0x00, af ? 0x30 : 0x10], i);
    let p = i + 4;
    if (af) {
      out.set([7, 0x50, 0, 0, 0, 0, 0, 0], p);
      p += 8;
    }
    const b = [
      0x21 | (Math.floor(pts / 2 ** 30) & 0x07) << 1,
      Math.floor(pts / 2 ** 22) & 0xff,
      ((Math.floor(pts / 2 ** 15) & 0x7f) << 1) | 1,
      Math.floor(pts / 2 ** 7) & 0xff,
      ((pts & 0x7f) << 1) | 1,
    ];
    out.set([0, 0, 1, 0xe0, 0, 0, 0x80, 0x80, 5, ...b], p);
  });
  return out;
}

test('video duration is first to last pts plus one mean frame interval', () => {
  // 10 frames at 10 fps: 0.9 s from first to last pts, plus 0.1 s
  const pts = Array.from({ length: 10 }, (_, k) => 1_000_000 + k * 9000);
  assert.equal(Math.round(mpegtsVideoDurationMs(fakeTs(pts))!), 1000);
  assert.equal(Math.round(mpegtsVideoDurationMs(fakeTs(pts, { adaptation: true }))!), 1000);
});

test('video duration survives the 33-bit pts wrap', () => {
  const pts = Array.from({ length: 5 }, (_, k) => (2 ** 33 - 18000 + k * 9000) % 2 ** 33);
  assert.equal(Math.round(mpegtsVideoDurationMs(fakeTs(pts))!), 500);
});

test('video duration is undefined for fewer than two frames or a non-TS file', () => {
  assert.equal(mpegtsVideoDurationMs(fakeTs([1000])), undefined);
  assert.equal(mpegtsVideoDurationMs(new Uint8Array(376)), undefined);
});

test('a real ffmpeg segment: h264 declared in the PMT, every frame found, a cut file still read', () => {
  const dir = mkdtempSync(join(tmpdir(), 'vigil-tsprobe-'));
  try {
    const file = join(dir, 'a.ts');
    execFileSync(ffmpegPath(), ['-loglevel', 'error', '-f', 'lavfi', '-i', 'testsrc2=size=160x120:rate=10', '-t', '2', '-c:v', 'libx264', '-g', '10', '-f', 'mpegts', file]);
    const buf = readFileSync(file);
    const p = probeTs(buf)!;
    assert.equal(p.codec, 'h264');
    assert.equal(p.frames.length, 20);
    assert.equal(Math.round(mpegtsVideoDurationMs(buf)!), 2000);
    // Cut in the middle of a packet, as a crash mid-write leaves it: whole packets are still read.
    const cut = probeTs(buf.subarray(0, p.frames[12].offset + 188 + 100))!;
    assert.equal(cut.frames.length, 13);
    assert.equal(probeTs(Buffer.from('not a transport stream at all')), undefined);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
