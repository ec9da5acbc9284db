import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { createServer } from 'node:net';
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { createLogger, type Logger } from '../lib/log.ts';
import { CameraSim } from '../sim/camera-sim.ts';
import { CameraRecorder } from './camera-recorder.ts';
import { segmentRelPath } from '../storage/layout.ts';
import { LocalIndex, type IndexedSegment } from '../storage/local-index.ts';
import { singlePathSink } from '../../test/support/test-sink.ts';
import { Recorder } from './recorder.ts';
import type { SegmentSink } from '../storage/segment-sink.ts';

// Real ffmpeg end to end against the RTSP camera simulator: one camera, 320x240, 10 fps, 1 s GOP.

const SECRET = 'hunter2';
let sim: CameraSim;

before(async () => {
  sim = new CameraSim({
    port: 0,
    cameras: [{ id: 'cam1', width: 320, height: 240, fps: 10, keyintSeconds: 1 }],
    log: createLogger('sim', 'warn'),
  });
  await sim.start();
});

after(async () => {
  await sim?.close();
});

/** The sim's url with credentials added: they must never reach a log line. */
function urlWithCredentials(): string {
  return sim.url('cam1').replace('rtsp://', `rtsp://admin:${SECRET}@`);
}

/** A logger that keeps every line, unscrubbed, so the test sees exactly what the recorder logged. */
function capturingLogger(): { log: Logger; lines: string[] } {
  const lines: string[] = [];
  return { log: pino<never>({ level: 'debug' }, { write: (s: string) => void lines.push(s) }), lines };
}

async function waitFor(what: string, cond: () => boolean, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!cond()) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

function ffprobeCodec(file: string): string | undefined {
  const out = execFileSync(
    'ffprobe',
    ['-v', 'error', '-select_streams', 'v:0', '-show_entries', 'stream=codec_name', '-of', 'json', file],
    {
      encoding: 'utf8',
      timeout: 10_000,
    },
  );
  return (JSON.parse(out) as { streams?: { codec_name?: string }[] }).streams?.[0]?.codec_name;
}

test('records segments into the layout and index, survives a SIGKILL and a hang, and indexes the last segment on close', {
  timeout: 40_000,
}, async (t) => {
  const root = mkdtempSync(join(tmpdir(), 'vigil-rec-'));
  const index = new LocalIndex(join(root, 'index.db'));
  const { log, lines } = capturingLogger();
  const seen: IndexedSegment[] = [];
  const { sink, paths } = await singlePathSink(join(root, 'storage'), 'node-a', index, log);
  const rec = new CameraRecorder({
    nodeId: 'node-a',
    cameraId: 'cam1',
    url: urlWithCredentials(),
    stagingRoot: join(root, 'staging'),
    sink,
    log,
    stallMs: 2500,
    onSegment: (s) => seen.push(s),
  });
  const stoppedPids: number[] = [];
  try {
    const t0 = Date.now();
    rec.start();
    assert.equal(rec.status().state, 'starting');

    // ~5 s of recording
    await waitFor('a first segment', () => seen.length >= 1, 10_000);
    const firstAfterMs = Date.now() - t0;
    await new Promise((r) => setTimeout(r, Math.max(0, 5000 - firstAfterMs)));
    const firstRun = index.list('cam1', 0, Number.MAX_SAFE_INTEGER);
    assert.ok(firstRun.length >= 3, `only ${firstRun.length} segments after 5 s`);
    assert.equal(rec.status().state, 'recording');
    const now = Date.now();
    for (const [i, s] of firstRun.entries()) {
      assert.equal(s.path, segmentRelPath('cam1', s.startMs, 'node-a'));
      assert.equal(statSync(join(root, 'storage', s.path)).size, s.bytes);
      assert.ok(s.bytes > 0);
      // wall-clock media times: within the recording window, not stream-relative seconds
      assert.ok(
        s.startMs >= t0 - 1000 && s.endMs <= now + 200,
        `segment ${i} [${s.startMs}, ${s.endMs}] outside [${t0}, ${now}]`,
      );
      assert.ok(s.endMs > s.startMs);
      if (i > 0) {
        const gap = s.startMs - firstRun[i - 1].endMs;
        // ffmpeg's end is the last frame's arrival plus one nominal frame: off by arrival jitter
        assert.ok(Math.abs(gap) <= 40, `segment ${i} starts ${gap} ms from the previous end`);
        assert.ok(
          s.endMs - s.startMs > 700 && s.endMs - s.startMs < 1300,
          `segment ${i} lasts ${s.endMs - s.startMs} ms`,
        );
      }
      assert.equal(ffprobeCodec(join(root, 'storage', s.path)), 'h264');
    }
    assert.deepEqual(
      seen.map((s) => s.id),
      firstRun.map((s) => s.id),
    );
    const gaps = firstRun.slice(1).map((s, i) => s.startMs - firstRun[i].endMs);
    t.diagnostic(`first segment indexed ${firstAfterMs} ms after start; gaps between segments (ms): ${gaps.join(' ')}`);
    t.diagnostic(`segments (ms after start): ${firstRun.map((s) => `[${s.startMs - t0}, ${s.endMs - t0}]`).join(' ')}`);

    // SIGKILL: the supervisor restarts ffmpeg and recording resumes
    const pid1 = rec.pid;
    assert.ok(pid1);
    process.kill(pid1, 'SIGKILL');
    const killedAt = Date.now();
    await waitFor(
      'a segment after SIGKILL',
      () => rec.status().restarts >= 1 && seen.some((s) => s.startMs > killedAt),
      10_000,
    );
    t.diagnostic(`recording resumed ${Date.now() - killedAt} ms after SIGKILL`);
    assert.notEqual(rec.pid, pid1);
    assert.equal(rec.status().state, 'recording');

    // A hang (SIGSTOP): no exit, so only the stall watchdog can notice and restart
    const pid2 = rec.pid!;
    process.kill(pid2, 'SIGSTOP');
    stoppedPids.push(pid2);
    const stoppedAt = Date.now();
    await waitFor('the stall to be noticed', () => rec.status().state === 'stalled', 5000);
    await waitFor(
      'a segment after the stall',
      () => rec.status().restarts >= 2 && seen.some((s) => s.startMs > stoppedAt),
      12_000,
    );
    t.diagnostic(`recording resumed ${Date.now() - stoppedAt} ms after SIGSTOP`);
    assert.ok(
      lines.some((l) => l.includes('stall: no segment for')),
      'stall restart logged',
    );
    assert.equal(rec.status().state, 'recording');

    // close: ffmpeg is asked to quit, and the segment in progress is indexed too
    const count = seen.length;
    const closeAt = Date.now();
    await rec.close();
    const last = seen[seen.length - 1];
    t.diagnostic(
      `close took ${Date.now() - closeAt} ms; last segment ends ${last.endMs - closeAt} ms after close began`,
    );
    assert.ok(seen.length > count, 'close added the in-progress segment');
    assert.ok(last.endMs >= closeAt - 250, `last segment ends ${closeAt - last.endMs} ms before close`);
    assert.equal(rec.status().pid, undefined);

    const all = index.list('cam1', 0, Number.MAX_SAFE_INTEGER);
    assert.equal(all.length, seen.length);
    assert.equal(rec.status().segments, seen.length);
    assert.equal(rec.status().invalidSegments, 0);
    // Only the two killed runs' unfinished files stay behind; the closed run left nothing.
    const leftovers = readdirSync(join(root, 'staging', 'cam1'));
    assert.ok(leftovers.length <= 2, `staging holds ${leftovers.join(', ')}`);
    assert.ok(!lines.some((l) => l.includes(SECRET)), 'camera credentials reached the log');
  } finally {
    for (const pid of stoppedPids) {
      try {
        process.kill(pid, 'SIGKILL'); // normally gone already
      } catch {
        // already reaped
      }
    }
    await rec.close();
    await paths.close();
    index.close();
    rmSync(root, { recursive: true, force: true });
  }
});

test('Recorder follows the assignment: start, restart on url change, stop', { timeout: 30_000 }, async () => {
  const root = mkdtempSync(join(tmpdir(), 'vigil-rec-'));
  const index = new LocalIndex(join(root, 'index.db'));
  const { log, lines } = capturingLogger();
  const seen: IndexedSegment[] = [];
  const { sink, paths } = await singlePathSink(join(root, 'storage'), 'node-a', index, log);
  const recorder = new Recorder({
    nodeId: 'node-a',
    stagingRoot: join(root, 'staging'),
    sink,
    log,
    onSegment: (s) => seen.push(s),
  });
  try {
    await recorder.apply([{ id: 'cam1', url: sim.url('cam1') }]);
    await waitFor('a segment', () => seen.length >= 1, 10_000);
    const pid = recorder.status().cam1.pid;
    assert.ok(pid);

    await recorder.apply([{ id: 'cam1', url: urlWithCredentials() }]);
    const changedAt = Date.now();
    assert.notEqual(recorder.status().cam1.pid, pid);
    assert.equal(recorder.status().cam1.state, 'starting');
    await waitFor('a segment from the new url', () => seen.some((s) => s.startMs > changedAt), 10_000);

    await recorder.apply([]);
    assert.deepEqual(recorder.status(), {});
    await assert.rejects(recorder.apply([{ id: '../x', url: 'rtsp://x' }]), /unsafe camera id/);
    await assert.rejects(
      recorder.apply([
        { id: 'a', url: 'rtsp://x' },
        { id: 'a', url: 'rtsp://y' },
      ]),
      /duplicate/,
    );
    assert.equal(index.list('cam1', 0, Number.MAX_SAFE_INTEGER).length, seen.length);
    assert.ok(!lines.some((l) => l.includes(SECRET)), 'camera credentials reached the log');
  } finally {
    await recorder.close();
    await paths.close();
    index.close();
    rmSync(root, { recursive: true, force: true });
  }
});

test('a camera that does not answer is offline; one that answers but cannot be recorded is failing', {
  timeout: 30_000,
}, async () => {
  const root = mkdtempSync(join(tmpdir(), 'vigil-rec-'));
  const index = new LocalIndex(join(root, 'index.db'));
  const { log, lines } = capturingLogger();
  const { sink, paths } = await singlePathSink(join(root, 'storage'), 'node-a', index, log);
  // A device that answers every RTSP request with 404: there, but its stream cannot be pulled.
  const answering = createServer((sock) => {
    sock.on('data', (d) => {
      const cseq = /CSeq:\s*(\d+)/i.exec(d.toString())?.[1] ?? '1';
      sock.write(`RTSP/1.0 404 Not Found\r\nCSeq: ${cseq}\r\n\r\n`);
    });
    sock.on('error', () => {});
  });
  await new Promise<void>((r) => answering.listen(0, '127.0.0.1', () => r()));
  const closed = createServer();
  await new Promise<void>((r) => closed.listen(0, '127.0.0.1', () => r()));
  const closedPort = (closed.address() as { port: number }).port;
  await new Promise((r) => closed.close(r));
  const rec = (cameraId: string, url: string) =>
    new CameraRecorder({
      nodeId: 'node-a',
      cameraId,
      url,
      stagingRoot: join(root, 'staging'),
      sink,
      log,
      startGraceMs: 1000,
      stallMs: 1000,
    });
  const offline = rec('gone', `rtsp://admin:${SECRET}@127.0.0.1:${closedPort}/x`);
  const failing = rec('broken', `rtsp://admin:${SECRET}@127.0.0.1:${(answering.address() as { port: number }).port}/x`);
  try {
    offline.start();
    failing.start();
    await waitFor('offline', () => offline.status().state === 'offline', 15_000);
    await waitFor('failing', () => failing.status().state === 'failing', 15_000);
    // The verdicts hold across ffmpeg's restarts.
    await new Promise((r) => setTimeout(r, 2500));
    assert.equal(offline.status().state, 'offline');
    assert.equal(failing.status().state, 'failing');
    assert.ok(failing.status().restarts >= 1);
    assert.ok(!lines.some((l) => l.includes(SECRET)), 'camera credentials reached the log');
  } finally {
    await Promise.all([offline.close(), failing.close()]);
    answering.close();
    await paths.close();
    index.close();
    rmSync(root, { recursive: true, force: true });
  }
});

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** A tmpfs folder when there is one, as a node's bufferRoot is: commits then cross file systems. */
function bufferRootDir(): string {
  return mkdtempSync(join(existsSync('/dev/shm') ? '/dev/shm' : tmpdir(), 'vigil-buf-'));
}

function filesIn(dir: string): string[] {
  try {
    return readdirSync(dir);
  } catch {
    return [];
  }
}

/** Consecutive segments of one ffmpeg run: each starts where the previous ended (arrival jitter aside). */
function assertContiguous(segs: IndexedSegment[]): void {
  for (let i = 1; i < segs.length; i++) {
    const gap = segs[i].startMs - segs[i - 1].endMs;
    assert.ok(Math.abs(gap) < 150, `segment ${i} starts ${gap} ms from the previous end`);
  }
}

test('buffer mode keeps a rolling window in staging and commits nothing', { timeout: 20_000 }, async () => {
  const root = mkdtempSync(join(tmpdir(), 'vigil-rec-'));
  const commits: string[] = [];
  const sink: SegmentSink = {
    commit: async (staged) => {
      commits.push(staged);
      throw new Error('a buffering recorder committed');
    },
  };
  const { log } = capturingLogger();
  const rec = new CameraRecorder({
    nodeId: 'node-a',
    cameraId: 'cam1',
    url: sim.url('cam1'),
    stagingRoot: root,
    sink,
    log,
    buffer: { ms: 2000 },
  });
  const dir = join(root, 'cam1');
  const everSeen = new Set<string>();
  const poll = setInterval(() => {
    for (const n of filesIn(dir)) everSeen.add(n);
  }, 100);
  try {
    rec.start();
    assert.equal(rec.status().mode, 'buffer');
    await waitFor('a buffered segment', () => rec.status().buffered >= 1, 10_000);
    await sleep(5000);
    const st = rec.status();
    assert.equal(st.mode, 'buffer');
    assert.equal(st.state, 'recording');
    assert.equal(st.segments, 0);
    assert.equal(st.unstoredSegments, 0);
    assert.equal(st.lastSegmentEndMs, undefined);
    // ~1 s segments, 2 s window: the newest and those ending at most 2 s before it (cuts jitter).
    assert.ok(st.buffered >= 2 && st.buffered <= 4, `${st.buffered} segments buffered`);
    // What a live relay serves: the held files, oldest first, each a whole MPEG-TS segment.
    const held = rec.buffered();
    assert.equal(held.length, st.buffered);
    for (const [i, b] of held.entries()) {
      assert.equal(readFileSync(b.file)[0], 0x47, 'starts with a TS sync byte');
      if (i) assert.ok(b.startMs >= held[i - 1].startMs, 'oldest first');
    }
    const now = filesIn(dir);
    // The held ones, the one being written, perhaps one listed but not yet handled.
    assert.ok(now.length <= st.buffered + 2, `buffer dir holds ${now.join(', ')}`);
    const deleted = [...everSeen].filter((n) => !now.includes(n));
    assert.ok(deleted.length >= 2, `only ${deleted.length} old segments deleted`);
    assert.deepEqual(commits, []);
  } finally {
    clearInterval(poll);
    await rec.close();
  }
  // Nothing of a buffer outlives its recorder, the segment listed at close included.
  assert.deepEqual(filesIn(dir), []);
  assert.equal(rec.status().buffered, 0);
  rmSync(root, { recursive: true, force: true });
});

test('promote commits the buffer from recordFromMs on and records on, same ffmpeg, no gap', {
  timeout: 25_000,
}, async (t) => {
  const root = mkdtempSync(join(tmpdir(), 'vigil-rec-'));
  const bufferRoot = bufferRootDir();
  const index = new LocalIndex(join(root, 'index.db'));
  const { log } = capturingLogger();
  const seen: IndexedSegment[] = [];
  const { sink, paths } = await singlePathSink(join(root, 'storage'), 'node-a', index, log);
  const rec = new CameraRecorder({
    nodeId: 'node-a',
    cameraId: 'cam1',
    url: sim.url('cam1'),
    stagingRoot: bufferRoot,
    sink,
    log,
    buffer: { ms: 3000 },
    onSegment: (s) => seen.push(s),
  });
  const dir = join(bufferRoot, 'cam1');
  try {
    rec.start();
    await waitFor('a full buffer', () => rec.status().buffered >= 4, 12_000);
    const pid = rec.pid;
    assert.ok(pid);
    assert.equal(seen.length, 0);
    const held = filesIn(dir).length;
    // An instant well inside the buffer: the segment holding it is committed, the ones before are not.
    const recordFromMs = Date.now() - 1500;
    await rec.promote(recordFromMs);
    const promoted = seen.slice();
    t.diagnostic(
      `buffer held ${held} files; promote committed ${promoted.map((s) => `[${s.startMs - recordFromMs}, ${s.endMs - recordFromMs}]`).join(' ')} (ms after recordFromMs)`,
    );
    assert.ok(promoted.length >= 2, `promote committed ${promoted.length} segments`);
    assert.ok(promoted.every((s) => s.endMs > recordFromMs));
    assert.ok(
      promoted[0].startMs <= recordFromMs + 150,
      `first committed starts ${promoted[0].startMs - recordFromMs} ms after recordFromMs`,
    );
    assertContiguous(promoted);
    const st = rec.status();
    assert.equal(st.mode, 'record');
    assert.equal(st.buffered, 0);
    assert.equal(st.segments, promoted.length);
    // Committed ones moved, dropped ones deleted: what is left is being written (or just listed).
    assert.ok(filesIn(dir).length <= 2, `buffer dir holds ${filesIn(dir).join(', ')}`);
    await rec.promote(recordFromMs); // already recording: a no-op
    assert.equal(rec.status().segments, promoted.length);

    await waitFor('segments after the promotion', () => seen.length >= promoted.length + 3, 10_000);
    assert.equal(rec.pid, pid, 'ffmpeg was restarted');
    assert.equal(rec.status().restarts, 0);
    // The last buffered segment and the first recorded one are consecutive: no hole at the takeover.
    assertContiguous(seen);
    const indexed = index.list('cam1', 0, Number.MAX_SAFE_INTEGER);
    assert.deepEqual(
      indexed.map((s) => s.id),
      seen.map((s) => s.id),
    );
    for (const s of indexed) assert.equal(statSync(join(root, 'storage', s.path)).size, s.bytes);
    await rec.close();
    assert.equal(rec.status().invalidSegments, 0);
  } finally {
    await rec.close();
    await paths.close();
    index.close();
    rmSync(root, { recursive: true, force: true });
    rmSync(bufferRoot, { recursive: true, force: true });
  }
});

test('Recorder promotes a camera going from buffer to record in place and restarts one going back', {
  timeout: 25_000,
}, async () => {
  const root = mkdtempSync(join(tmpdir(), 'vigil-rec-'));
  const bufferRoot = bufferRootDir();
  const index = new LocalIndex(join(root, 'index.db'));
  const { log } = capturingLogger();
  const seen: IndexedSegment[] = [];
  const { sink, paths } = await singlePathSink(join(root, 'storage'), 'node-a', index, log);
  const recorder = new Recorder({
    nodeId: 'node-a',
    stagingRoot: join(root, 'staging'),
    bufferRoot,
    sink,
    log,
    onSegment: (s) => seen.push(s),
  });
  const url = sim.url('cam1');
  try {
    await assert.rejects(recorder.apply([{ id: 'cam1', url, buffer: { ms: -1 } }]), /bad buffer window/);
    await recorder.apply([{ id: 'cam1', url, buffer: { ms: 2000 } }]);
    await waitFor('buffered segments', () => recorder.status().cam1.buffered >= 2, 10_000);
    const pid = recorder.status().cam1.pid;
    assert.ok(pid);
    assert.equal(recorder.status().cam1.mode, 'buffer');
    assert.ok(filesIn(join(bufferRoot, 'cam1')).length >= 2, 'the buffer stages under bufferRoot');
    assert.deepEqual(filesIn(join(root, 'staging', 'cam1')), []);
    // Re-applying the same buffered assignment changes nothing.
    await recorder.apply([{ id: 'cam1', url, buffer: { ms: 2000 } }]);
    assert.equal(recorder.status().cam1.pid, pid);
    assert.equal(seen.length, 0);

    // buffer → record: promoted, the same ffmpeg
    const recordFromMs = Date.now() - 1000;
    await recorder.apply([{ id: 'cam1', url, recordFromMs }]);
    assert.equal(recorder.status().cam1.mode, 'record');
    assert.equal(recorder.status().cam1.pid, pid);
    assert.ok(seen.length >= 1 && seen[0].endMs > recordFromMs && seen[0].startMs <= recordFromMs + 150);
    await waitFor('a segment recorded after the promotion', () => seen.length >= 3, 10_000);
    assert.equal(recorder.status().cam1.pid, pid);
    assertContiguous(seen);

    // record → buffer: restarted in buffer mode; the recording's last segment is committed, then nothing
    await recorder.apply([{ id: 'cam1', url, buffer: { ms: 2000 } }]);
    const st = recorder.status().cam1;
    assert.equal(st.mode, 'buffer');
    assert.ok(st.pid && st.pid !== pid, 'not restarted');
    const committed = seen.length;
    await waitFor('the new buffer to fill', () => recorder.status().cam1.buffered >= 1, 10_000);
    assert.equal(seen.length, committed);
    await recorder.close();
    assert.deepEqual(filesIn(join(bufferRoot, 'cam1')), [], 'the buffer outlived its recorder');
    assert.equal(index.list('cam1', 0, Number.MAX_SAFE_INTEGER).length, seen.length);
  } finally {
    await recorder.close();
    await paths.close();
    index.close();
    rmSync(root, { recursive: true, force: true });
    rmSync(bufferRoot, { recursive: true, force: true });
  }
});
