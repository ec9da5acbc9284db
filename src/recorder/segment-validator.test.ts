import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ffmpegPath } from '../lib/ffmpeg-path.ts';
import { probeTs } from '../media/ts-probe.ts';
import { readSegment, timeSegment, type ReadSegment } from './segment-validator.ts';

let dir: string;
/** 2 s of 10 fps video in MPEG-TS, encoded as `codec`. */
function encode(name: string, codec: string, vf = 'null'): string {
  const file = join(dir, name);
  execFileSync(ffmpegPath(), [
    '-loglevel',
    'error',
    '-f',
    'lavfi',
    '-i',
    'testsrc2=size=160x120:rate=10',
    '-frames:v',
    '20',
    '-vf',
    vf,
    '-c:v',
    codec,
    '-g',
    '10',
    '-f',
    'mpegts',
    file,
  ]);
  return file;
}

let h264: string;
before(() => {
  dir = mkdtempSync(join(tmpdir(), 'vigil-validate-'));
  h264 = encode('a.ts', 'libx264');
});
after(() => rmSync(dir, { recursive: true, force: true }));

async function read(file: string): Promise<ReadSegment> {
  const r = await readSegment(file);
  if (typeof r === 'string') throw new Error(r);
  return r;
}

/** The anchor of a run whose pts p was captured at 1_000_000 ms + (p − first pts) / 90. */
function anchorAt(first: number) {
  return (pts: number) => 1_000_000 + (pts - first) / 90;
}

test('a segment is timed by its frames through the anchor: start at its first frame, end one interval after its last', async () => {
  const r = await read(h264);
  const parts = await timeSegment(h264, r, { wall: anchorAt(r.probe.frames[0].pts), fallbackEndMs: 0 });
  assert.deepEqual(parts, [
    { staged: h264, seg: { startMs: 1_000_000, endMs: 1_002_000, bytes: statSync(h264).size }, anchored: true },
  ]);
});

test('without an anchor a segment is timed back from its fallback end', async () => {
  const r = await read(h264);
  const parts = await timeSegment(h264, r, { wall: () => undefined, fallbackEndMs: 5000 });
  assert.deepEqual(typeof parts !== 'string' && parts.map((p) => [p.seg.startMs, p.seg.endMs, p.anchored]), [
    [3000, 5000, false],
  ]);
});

test('a jump between frames splits the file: each part its own continuous interval, playable alone', async () => {
  // Frames 0-9 at 10 fps, then a 3 s jump: frame 10 is shown at 4.0 s.
  const file = encode('jump.ts', 'libx264', 'setpts=N/10/TB+gte(N\\,10)*3/TB');
  const before = readFileSync(file);
  const r = await read(file);
  const parts = await timeSegment(file, r, { wall: anchorAt(r.probe.frames[0].pts), fallbackEndMs: 0 });
  assert.ok(typeof parts !== 'string');
  assert.deepEqual(
    parts.map((p) => [p.staged, p.seg.startMs, p.seg.endMs]),
    [
      [file, 1_000_000, 1_001_000],
      [file.replace(/\.ts$/, '.p1.ts'), 1_004_000, 1_005_000],
    ],
  );
  const a = readFileSync(parts[0].staged);
  const b = readFileSync(parts[1].staged);
  assert.equal(a.length, parts[0].seg.bytes);
  assert.equal(b.length, parts[1].seg.bytes);
  assert.equal(probeTs(a)?.frames.length, 10);
  const pb = probeTs(b);
  assert.equal(pb?.codec, 'h264'); // its own PAT and PMT
  assert.equal(pb?.frames.length, 10);
  assert.ok(pb?.frames[0].key);
  // Nothing lost: the original's bytes are the first part and the second part's body.
  assert.ok(before.subarray(a.length).equals(b.subarray(b.length - (before.length - a.length))));
});

test('missing, empty and non-TS files are invalid, each with its reason', async () => {
  writeFileSync(join(dir, 'empty.ts'), '');
  writeFileSync(join(dir, 'junk.ts'), Buffer.alloc(188 * 4, 0x11));
  assert.equal(await readSegment(join(dir, 'gone.ts')), 'file missing');
  assert.equal(await readSegment(join(dir, 'empty.ts')), 'file empty');
  assert.equal(await readSegment(join(dir, 'junk.ts')), 'not an MPEG transport stream');
});

test('video other than H.264 or H.265 is invalid', async () => {
  const mpeg2 = encode('m.ts', 'mpeg2video');
  assert.equal(await readSegment(mpeg2), 'unexpected video codec other');
});

/** The offsets of the packets that start a video PES (PID 0x100, payload unit start). */
function videoStarts(buf: Buffer): number[] {
  const out: number[] = [];
  for (let i = 0; i + 188 <= buf.length; i += 188)
    if ((buf[i + 1] & 0x40) !== 0 && ((buf[i + 1] & 0x1f) << 8) + buf[i + 2] === 0x100) out.push(i);
  return out;
}

test("a segment cut before its first frame is invalid; a one-frame one lasts the run's interval", async () => {
  const buf = readFileSync(h264);
  const [first, second] = videoStarts(buf);
  writeFileSync(join(dir, 'head.ts'), buf.subarray(0, first));
  writeFileSync(join(dir, 'one.ts'), buf.subarray(0, second));
  assert.equal(await readSegment(join(dir, 'head.ts')), 'no video frame');
  const r = await read(join(dir, 'one.ts'));
  const parts = await timeSegment(join(dir, 'one.ts'), r, {
    wall: anchorAt(r.probe.frames[0].pts),
    fallbackEndMs: 0,
    intervalMs: 40,
  });
  assert.deepEqual(typeof parts !== 'string' && parts.map((p) => [p.seg.startMs, p.seg.endMs]), [
    [1_000_000, 1_000_040],
  ]);
});
