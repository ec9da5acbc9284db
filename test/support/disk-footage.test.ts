import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, unlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { JITTER_MS } from '../../src/lib/continuity.ts';
import { ffmpegPath } from '../../src/lib/ffmpeg-path.ts';
import {
  copyBackProblems,
  diskSegments,
  farmSegments,
  FootageLedger,
  footageHoles,
  frameSpans,
  frameTimeAgreement,
} from './disk-footage.ts';

const seg = (startMs: number, endMs: number) => ({ startMs, endMs });

test('footageHoles: contiguous and overlapping segments have no hole; gaps within the continuity tolerance are none', () => {
  assert.deepEqual(footageHoles([seg(0, 1000), seg(1000, 2000), seg(1500, 3000)], 0, 3000), []);
  assert.deepEqual(footageHoles([seg(0, 1000), seg(1000 + JITTER_MS, 2000)], 0, 2000), []);
  assert.deepEqual(footageHoles([seg(0, 1000), seg(1001 + JITTER_MS, 2000)], 0, 2000).length, 1);
});

test('footageHoles: a gap between segments, and uncovered ends of the range, are holes', () => {
  assert.deepEqual(footageHoles([seg(1000, 2000), seg(2600, 3000)], 0, 4000), [
    { startMs: 0, endMs: 1000, ms: 1000 },
    { startMs: 2000, endMs: 2600, ms: 600 },
    { startMs: 3000, endMs: 4000, ms: 1000 },
  ]);
  // A camera that never records again: the whole rest of the range.
  assert.deepEqual(footageHoles([seg(0, 1000)], 0, 9000), [{ startMs: 1000, endMs: 9000, ms: 8000 }]);
  assert.deepEqual(footageHoles([], 0, 9000), [{ startMs: 0, endMs: 9000, ms: 9000 }]);
});

test('footageHoles: segments are clipped to the range, in any order', () => {
  assert.deepEqual(footageHoles([seg(5000, 6000), seg(-500, 1000), seg(1000, 2500)], 0, 2000), []);
  assert.deepEqual(footageHoles([seg(1500, 2500), seg(0, 1000)], 500, 2000), [{ startMs: 1000, endMs: 1500, ms: 500 }]);
});

test('footageHoles: a segment counts by its spans: a jump inside it is a hole', () => {
  const jumping = { startMs: 0, endMs: 3000, spans: [seg(0, 700), seg(2500, 3000)] };
  assert.deepEqual(footageHoles([jumping], 0, 3000), [{ startMs: 700, endMs: 2500, ms: 1800 }]);
  // Another server's footage of that moment fills it.
  assert.deepEqual(footageHoles([jumping, seg(600, 2600)], 0, 3000), []);
});

test('frameSpans: frames a frame interval apart are one run; a step leaving more than JITTER_MS uncovered splits it', () => {
  assert.deepEqual(frameSpans([0, 100, 200, 300], 100), [seg(0, 400)]);
  assert.deepEqual(frameSpans([0, 100, 200 + JITTER_MS], 100), [seg(0, 300 + JITTER_MS)]);
  assert.deepEqual(frameSpans([0, 100, 201 + JITTER_MS], 100), [seg(0, 200), seg(201 + JITTER_MS, 301 + JITTER_MS)]);
});

test('frameTimeAgreement: frames matched by picture, the time difference of each; repeated pictures left out', () => {
  const f = (timeMs: number, hash: string) => ({ timeMs, hash });
  const a = [{ frames: [f(0, 'x'), f(100, 'y'), f(200, 'z'), f(300, 'r'), f(900, 'r')] }];
  const b = [{ frames: [f(5140, 'z'), f(5040, 'y')] }, { frames: [f(5040, 'y'), f(7000, 'q'), f(7300, 'r')] }];
  assert.deepEqual(frameTimeAgreement(a, b), [
    { hash: 'y', aMs: 100, bMs: 5040, diffMs: 4940 },
    { hash: 'z', aMs: 200, bMs: 5140, diffMs: 4940 },
  ]);
});

/** A 10 fps H.264 transport stream of `seconds` of the pattern from `from` s, its pts from `offsetS` (a muxer's own time base). */
function encode(dir: string, name: string, seconds: number, offsetS: number, from = 0): Buffer {
  const file = join(dir, name);
  execFileSync(ffmpegPath(), [
    ...['-loglevel', 'error', '-y', '-f', 'lavfi', '-i', 'testsrc2=size=160x120:rate=10', '-ss', String(from)],
    // As the simulator encodes: no lookahead, so a frame's coding does not depend on where the file ends.
    ...['-t', String(seconds), '-c:v', 'libx264', '-preset', 'ultrafast', '-tune', 'zerolatency', '-bf', '0'],
    ...['-g', '10', '-output_ts_offset', String(offsetS)],
    ...['-f', 'mpegts', file],
  ]);
  return readFileSync(file);
}

test('diskSegments reads times from the name and the pts, finds a jump inside a file, and two servers date the same frames', () => {
  const dir = mkdtempSync(join(tmpdir(), 'vigil-disk-footage-'));
  try {
    const hour = (root: string) => {
      const d = join(root, 'c1', '2026-01-01', '00');
      mkdirSync(d, { recursive: true });
      return d;
    };
    const s1 = join(dir, 's1');
    const s2 = join(dir, 's2');
    const t0 = 1_767_225_600_000; // 2026-01-01T00:00:00Z
    // s1: one file of 1 s, then 3 s of nothing, then 1 s more, in one file (pts far from the wall clock).
    const jumped = Buffer.concat([encode(dir, 'a.ts', 1, 77), encode(dir, 'b.ts', 1, 81, 4)]);
    writeFileSync(join(hour(s1), `${t0}_s1.ts`), jumped);
    // s2 recorded 4-6 s of the same camera, a copy brought home names its recorder and its home.
    writeFileSync(join(hour(s2), `${t0 + 4000 + 40}_s2.ts`), encode(dir, 'c.ts', 2, 3, 4));
    writeFileSync(join(hour(s2), `${t0 + 1000}_s3+s2.ts`), encode(dir, 'd.ts', 1, 0, 1));
    writeFileSync(join(hour(s2), 'not-a-segment.txt'), 'x');

    const [one] = diskSegments(s1, 'c1');
    assert.equal(one.startMs, t0);
    assert.equal(one.frameMs, 100);
    assert.equal(one.frames.length, 20);
    assert.deepEqual(one.spans, [seg(t0, t0 + 1000), seg(t0 + 4000, t0 + 5000)], 'the jump inside the file');
    assert.equal(one.endMs, t0 + 5000);
    assert.deepEqual(footageHoles([one], t0, t0 + 5000), [{ startMs: t0 + 1000, endMs: t0 + 4000, ms: 3000 }]);

    const two = diskSegments(s2, 'c1');
    assert.deepEqual(
      two.map((s) => [s.startMs, s.endMs, s.recordedBy, s.copy]),
      [
        [t0 + 1000, t0 + 2000, 's3', true],
        [t0 + 4040, t0 + 6040, 's2', false],
      ],
    );
    const all = farmSegments([s1, s2, join(dir, 'nothing-here')], 'c1');
    assert.deepEqual(footageHoles(all, t0, t0 + 6000), [{ startMs: t0 + 2000, endMs: t0 + 4000, ms: 2000 }]);

    // The frames of 4-5 s are in both: s2 dates each 40 ms later than s1.
    const pairs = frameTimeAgreement([one], two);
    assert.equal(pairs.length, 10);
    for (const p of pairs) assert.ok(Math.abs(p.diffMs - 40) < 1, JSON.stringify(p));
    assert.deepEqual(diskSegments(s1, 'nobody'), []);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('copyBackProblems: every file the source held must be at home with the same bytes, and gone from the source', () => {
  const dir = mkdtempSync(join(tmpdir(), 'vigil-copyback-ledger-'));
  try {
    const hour = (root: string) => {
      const d = join(root, 'c1', '2026-01-01', '00');
      mkdirSync(d, { recursive: true });
      return d;
    };
    const src = join(dir, 's2');
    const home = join(dir, 's1');
    writeFileSync(join(hour(src), '1767225600000_s2.ts'), 'first');
    const ledger = new FootageLedger(src, 'c1');
    ledger.note();
    writeFileSync(join(hour(src), '1767225601000_s2.ts'), 'second');
    writeFileSync(join(hour(src), '1767225601000_s2.ts.part'), 'being written');
    ledger.note();
    assert.deepEqual(
      [...ledger.files.values()].map((f) => [f.name, f.startMs, f.recordedBy]),
      [
        ['1767225600000_s2.ts', 1_767_225_600_000, 's2'],
        ['1767225601000_s2.ts', 1_767_225_601_000, 's2'],
      ],
    );
    writeFileSync(join(hour(home), '1767225600000_s2+s1.ts'), 'first');
    writeFileSync(join(hour(home), '1767225601000_s2+s1.ts'), 'secomd');
    unlinkSync(join(hour(src), '1767225600000_s2.ts'));
    assert.deepEqual(copyBackProblems(ledger, src, home, 's1'), [
      '1767225601000_s2.ts: the copy on s1 holds other bytes',
      "1767225601000_s2.ts: still on the source's disk",
    ]);
    unlinkSync(join(hour(home), '1767225601000_s2+s1.ts'));
    assert.deepEqual(copyBackProblems(ledger, src, home, 's1'), [
      '1767225601000_s2.ts: not at home on s1',
      "1767225601000_s2.ts: still on the source's disk",
    ]);
    writeFileSync(join(hour(home), '1767225601000_s2+s1.ts'), 'second');
    unlinkSync(join(hour(src), '1767225601000_s2.ts'));
    assert.deepEqual(copyBackProblems(ledger, src, home, 's1'), []);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
