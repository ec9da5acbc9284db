import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { audioStreamType, mpegtsVideoDurationMs, probeTs } from './ts-probe.ts';
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
      0x21 | ((Math.floor(pts / 2 ** 30) & 0x07) << 1),
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
      'libx264',
      '-g',
      '10',
      '-f',
      'mpegts',
      file,
    ]);
    const buf = readFileSync(file);
    const p = probeTs(buf)!;
    assert.equal(p.codec, 'h264');
    assert.deepEqual(p.audioCodecs, []);
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

/**
 * A PAT (program 1 → PMT PID 0x1000) and a PMT listing `streams` (stream type, PID 0x100 + index),
 * then one video PES on the first stream's PID. The CRCs are left zero: probeTs does not check them.
 */
function tsWithPmt(streamTypes: number[], opts: { esInfo?: number[] } = {}): Uint8Array {
  const pkt = (pid: number, payload: number[]) => {
    const b = new Uint8Array(188).fill(0xff);
    b.set([0x47, 0x40 | (pid >> 8), pid & 0xff, 0x10, ...payload]);
    return b;
  };
  const section = (tableId: number, body: number[]) => {
    const length = 5 + body.length + 4; // after the length field: 5 header bytes, body, CRC
    return [0, tableId, 0xb0 | (length >> 8), length & 0xff, 0, 1, 0xc1, 0, 0, ...body, 0, 0, 0, 0];
  };
  const pat = section(0x00, [0x00, 0x01, 0xe0 | 0x10, 0x00]);
  const es = streamTypes.flatMap((type, i) => {
    const info = opts.esInfo ?? [];
    return [type, 0xe1, i, 0xf0 | (info.length >> 8), info.length & 0xff, ...info];
  });
  const pmt = section(0x02, [0xe1, 0x00, 0xf0, 0x00, ...es]); // PCR PID 0x100, no program info
  const pes = [0, 0, 1, 0xe0, 0, 0, 0x80, 0x80, 5, 0x21, 0, 1, 0, 1];
  const out = new Uint8Array(188 * 3);
  out.set(pkt(0, pat), 0);
  out.set(pkt(0x1000, pmt), 188);
  out.set(pkt(0x100, pes), 376);
  return out;
}

const pmtCases: { name: string; types: number[]; codec: string | undefined; audio: string[] }[] = [
  { name: 'video only', types: [0x1b], codec: 'h264', audio: [] },
  {
    name: 'h264 + ADTS AAC, as a camera with a microphone records',
    types: [0x1b, 0x0f],
    codec: 'h264',
    audio: ['aac'],
  },
  { name: 'audio declared before the video', types: [0x0f, 0x24], codec: 'hevc', audio: ['aac'] },
  {
    name: 'every known audio type, in PMT order',
    types: [0x1b, 0x11, 0x03, 0x04, 0x81, 0x0f],
    codec: 'h264',
    audio: ['aac-latm', 'mp3', 'mp3', 'ac3', 'aac'],
  },
  {
    name: 'private data and unknown types are not audio we can name',
    types: [0x1b, 0x06, 0x15, 0x87],
    codec: 'h264',
    audio: [],
  },
  { name: 'audio without video', types: [0x0f], codec: undefined, audio: ['aac'] },
];

for (const c of pmtCases) {
  test(`PMT: ${c.name}`, () => {
    const p = probeTs(tsWithPmt(c.types))!;
    assert.equal(p.codec, c.codec);
    assert.deepEqual(p.audioCodecs, c.audio);
  });
}

test('PMT: without video every PMT is read again, and the audio list is rebuilt, not appended to', () => {
  const one = tsWithPmt([0x0f, 0x81]);
  const p = probeTs(Buffer.concat([one, one.subarray(188, 376), one.subarray(188, 376)]))!;
  assert.equal(p.codec, undefined);
  assert.deepEqual(p.audioCodecs, ['aac', 'ac3']);
});

test('PMT: descriptors in the stream entries are stepped over', () => {
  // An ISO 639 language descriptor (tag 0x0a) on every entry, as broadcast audio has.
  const p = probeTs(tsWithPmt([0x1b, 0x0f, 0x81], { esInfo: [0x0a, 4, 0x65, 0x6e, 0x67, 0] }))!;
  assert.equal(p.codec, 'h264');
  assert.deepEqual(p.audioCodecs, ['aac', 'ac3']);
  assert.equal(p.frames.length, 1);
});

test('audioStreamType maps the MPEG-TS stream types', () => {
  assert.deepEqual([0x0f, 0x11, 0x03, 0x04, 0x81, 0x1b, 0x06, 0x00].map(audioStreamType), [
    'aac',
    'aac-latm',
    'mp3',
    'mp3',
    'ac3',
    undefined,
    undefined,
    undefined,
  ]);
});

test('a real ffmpeg segment with AAC and AC-3: both declared, only video frames counted', () => {
  const dir = mkdtempSync(join(tmpdir(), 'vigil-tsprobe-'));
  try {
    const file = join(dir, 'av.ts');
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
      'sine=sample_rate=16000',
      '-t',
      '2',
      '-map',
      '0:v',
      '-map',
      '1:a',
      '-map',
      '1:a',
      '-c:v',
      'libx264',
      '-g',
      '10',
      '-c:a:0',
      'aac',
      '-c:a:1',
      'ac3',
      '-ac',
      '1',
      '-f',
      'mpegts',
      file,
    ]);
    const buf = readFileSync(file);
    const p = probeTs(buf)!;
    assert.equal(p.codec, 'h264');
    assert.deepEqual(p.audioCodecs, ['aac', 'ac3']);
    assert.equal(p.frames.length, 20);
    assert.equal(Math.round(mpegtsVideoDurationMs(buf)!), 2000);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
