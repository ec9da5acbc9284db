import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ffmpegPath } from '../lib/ffmpeg-path.ts';
import { validateSegment } from './segment-validator.ts';

let dir: string;
/** 2 s of 10 fps video in MPEG-TS, encoded as `codec`. */
function encode(name: string, codec: string): string {
  const file = join(dir, name);
  execFileSync(ffmpegPath(), [
    '-loglevel',
    'error',
    '-f',
    'lavfi',
    '-i',
    'testsrc2=size=160x120:rate=10',
    '-t',
    '2',
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

test('a listed H.264 segment is valid with its listed start and its size', async () => {
  assert.deepEqual(await validateSegment(h264, 1_000_000, 1_002_000), {
    startMs: 1_000_000,
    bytes: statSync(h264).size,
  });
});

test('a segment listed without a start is timed by its frames back from its end', async () => {
  assert.deepEqual(await validateSegment(h264, undefined, 1_002_000), {
    startMs: 1_000_000,
    bytes: statSync(h264).size,
  });
});

test('a segment that does not end after its start is invalid', async () => {
  assert.equal(await validateSegment(h264, 1_002_000, 1_002_000), 'end 1002000 not after start 1002000');
});

test('missing, empty and non-TS files are invalid, each with its reason', async () => {
  writeFileSync(join(dir, 'empty.ts'), '');
  writeFileSync(join(dir, 'junk.ts'), Buffer.alloc(188 * 4, 0x11));
  assert.equal(await validateSegment(join(dir, 'gone.ts'), 0, 1000), 'file missing');
  assert.equal(await validateSegment(join(dir, 'empty.ts'), 0, 1000), 'file empty');
  assert.equal(await validateSegment(join(dir, 'junk.ts'), 0, 1000), 'not an MPEG transport stream');
});

test('video other than H.264 or H.265 is invalid', async () => {
  const mpeg2 = encode('m.ts', 'mpeg2video');
  assert.equal(await validateSegment(mpeg2, 0, 2000), 'unexpected video codec other');
});

/** The offsets of the packets that start a video PES (PID 0x100, payload unit start). */
function videoStarts(buf: Buffer): number[] {
  const out: number[] = [];
  for (let i = 0; i + 188 <= buf.length; i += 188)
    if ((buf[i + 1] & 0x40) !== 0 && ((buf[i + 1] & 0x1f) << 8) + buf[i + 2] === 0x100) out.push(i);
  return out;
}

test('a segment cut before its first frame is invalid; one cut after it cannot be timed by its frames', async () => {
  const buf = readFileSync(h264);
  const [first, second] = videoStarts(buf);
  writeFileSync(join(dir, 'head.ts'), buf.subarray(0, first));
  writeFileSync(join(dir, 'one.ts'), buf.subarray(0, second));
  assert.equal(await validateSegment(join(dir, 'head.ts'), 0, 1000), 'no video frame');
  assert.deepEqual(await validateSegment(join(dir, 'one.ts'), 900, 1000), { startMs: 900, bytes: second });
  assert.equal(
    await validateSegment(join(dir, 'one.ts'), undefined, 1000),
    'start unknown: fewer than two timed video frames',
  );
});
