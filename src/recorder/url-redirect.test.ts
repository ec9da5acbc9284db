import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { connect, createServer, type AddressInfo, type Server, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CameraSim } from '../sim/camera-sim.ts';
import { createLogger } from '../lib/log.ts';
import { Recorder } from './recorder.ts';
import { CameraUrlRedirect } from './url-redirect.ts';
import { peerUid, socketUid } from './socket-owner.ts';
import type { SegmentSink } from '../storage/segment-sink.ts';
import type { IndexedSegment } from '../storage/local-index.ts';

const USER = 'admin';
const PASSWORD = 'p@ss:w0rd-hunter2';
const log = createLogger('test', 'silent');
let sim: CameraSim;

before(async () => {
  sim = new CameraSim({
    host: '127.0.0.1',
    port: 0,
    cameras: [{ id: 'cam1', width: 320, height: 240, fps: 10, keyintSeconds: 1 }],
    log: createLogger('sim', 'warn'),
  });
  await sim.start();
});
after(async () => {
  await sim?.close();
});

/**
 * A camera that wants a password: RTSP Basic authentication in front of the simulator. A request
 * without the right Authorization gets a 401; from the first right one on, the connection is piped
 * to the simulator. `seen` keeps the Authorization headers it got.
 */
async function authGate(simPort: number): Promise<{ port: number; seen: string[]; close(): Promise<void> }> {
  const want = `Basic ${Buffer.from(`${USER}:${PASSWORD}`).toString('base64')}`;
  const seen: string[] = [];
  const socks = new Set<Socket>();
  const server: Server = createServer((sock) => {
    socks.add(sock);
    sock.on('error', () => {});
    let buf = Buffer.alloc(0);
    const onData = (d: Buffer) => {
      buf = Buffer.concat([buf, d]);
      for (let end = buf.indexOf('\r\n\r\n'); end !== -1; end = buf.indexOf('\r\n\r\n')) {
        const head = buf.subarray(0, end).toString('latin1');
        const auth = /^authorization:\s*(.+)$/im.exec(head)?.[1]?.trim();
        if (auth) seen.push(auth);
        if (auth === want) {
          sock.off('data', onData);
          const up = connect(simPort, '127.0.0.1');
          socks.add(up);
          up.on('error', () => sock.destroy());
          up.write(buf);
          sock.pipe(up).pipe(sock);
          return;
        }
        const cseq = /^cseq:\s*(\d+)/im.exec(head)?.[1] ?? '0';
        sock.write(`RTSP/1.0 401 Unauthorized\r\nCSeq: ${cseq}\r\nWWW-Authenticate: Basic realm="cam"\r\n\r\n`);
        buf = buf.subarray(end + 4);
      }
    };
    sock.on('data', onData);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  return {
    port: (server.address() as AddressInfo).port,
    seen,
    close: async () => {
      for (const s of socks) s.destroy();
      await new Promise<void>((r) => server.close(() => r()));
    },
  };
}

/** One RTSP request to `url` from a socket of this process (or, with `uid`, of a child running as that user). */
async function ask(url: string, uid?: number): Promise<string> {
  const u = new URL(url);
  const request = `OPTIONS ${url} RTSP/1.0\r\nCSeq: 7\r\n\r\n`;
  if (uid === undefined)
    return new Promise((resolve, reject) => {
      const s = connect(Number(u.port), u.hostname, () => s.write(request));
      let out = '';
      s.on('data', (d) => (out += d.toString('latin1')));
      s.on('close', () => resolve(out));
      s.on('error', reject);
    });
  const code = `const s=require('net').connect(${u.port},'127.0.0.1',()=>s.write(${JSON.stringify(request)}));let o='';s.on('data',d=>o+=d);s.on('close',()=>process.stdout.write(o));`;
  const child = spawn(process.execPath, ['-e', code], { uid, gid: uid, stdio: ['ignore', 'pipe', 'inherit'] });
  let out = '';
  child.stdout.on('data', (d) => (out += d));
  await new Promise((r) => child.on('exit', r));
  return out;
}

test('socketUid reads the owner of a socket from /proc/net/tcp', () => {
  const text = [
    '  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode',
    '   0: 0100007F:1F90 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 1 1 0 100 0 0 10 0',
    '   1: 0100007F:C350 0100007F:1F90 01 00000000:00000000 00:00000000 00000000  1000        0 2 1 0 20 4 30 10 -1',
  ].join('\n');
  assert.equal(socketUid(text, 0xc350, 0x1f90), 1000);
  assert.equal(socketUid(text, 0x1f90, 0), 0);
  assert.equal(socketUid(text, 1, 2), undefined);
});

test("a ticket is answered once, with the camera's URL, to this user only; unknown or spent ones get a 404", async () => {
  const url = `rtsp://${USER}:${PASSWORD}@10.0.0.5:554/live`;
  let owner: number | undefined = 12345;
  const r = new CameraUrlRedirect({ log, peerUid: async () => owner });
  assert.equal(await r.start(), true);
  try {
    assert.equal(r.ffmpegUrl('rtsp://10.0.0.5/open'), 'rtsp://10.0.0.5/open', 'nothing to hide');
    assert.match(r.ffmpegUrl('rtsp://token123@10.0.0.5/x'), /^rtsp:\/\/127\.0\.0\.1:/, 'a user alone may be a secret');
    const ticket = r.ffmpegUrl(url);
    assert.match(ticket, /^rtsp:\/\/127\.0\.0\.1:\d+\/[A-Za-z0-9_-]{24}$/);
    assert.notEqual(r.ffmpegUrl(url), ticket, 'a new ticket each time');
    const refused = await ask(ticket);
    assert.match(refused, /^RTSP\/1\.0 403 Forbidden\r\nCSeq: 7\r\n/);
    assert.ok(!refused.includes(PASSWORD));
    owner = process.getuid?.();
    const answered = await ask(ticket);
    assert.match(answered, /^RTSP\/1\.0 302 Moved Temporarily\r\nCSeq: 7\r\n/);
    assert.ok(answered.includes(`\r\nLocation: ${url}\r\n`));
    assert.match(await ask(ticket), /^RTSP\/1\.0 404 Not Found/, 'used once');
    assert.match(await ask(ticket.replace(/\/[^/]+$/, '/AAAAAAAAAAAAAAAAAAAAAAAA')), /^RTSP\/1\.0 404/);
  } finally {
    await r.close();
  }
  const expiring = new CameraUrlRedirect({ log, ttlMs: 1, peerUid: async () => process.getuid?.() });
  await expiring.start();
  try {
    const ticket = expiring.ffmpegUrl(url);
    await new Promise((res) => setTimeout(res, 5));
    assert.match(await ask(ticket), /^RTSP\/1\.0 404/, 'expired');
  } finally {
    await expiring.close();
  }
});

test('a process of another user who read the ticket gets a 403, not the password (the real /proc/net/tcp)', {
  skip: process.getuid?.() !== 0 && 'needs root to run a child as another user',
}, async () => {
  const owners: (number | undefined)[] = [];
  const r = new CameraUrlRedirect({
    log,
    peerUid: async (ours, theirs) => {
      const uid = await peerUid(ours, theirs);
      owners.push(uid);
      return uid;
    },
  });
  assert.equal(await r.start(), true);
  try {
    const ticket = r.ffmpegUrl(`rtsp://${USER}:${PASSWORD}@10.0.0.5:554/live`);
    const theirs = await ask(ticket, 65534);
    assert.match(theirs, /^RTSP\/1\.0 403 Forbidden/);
    assert.ok(!theirs.includes(PASSWORD));
    assert.match(await ask(ticket), /^RTSP\/1\.0 302 /, 'the ticket stays for its ffmpeg');
    assert.deepEqual(owners, [65534, process.getuid?.()], 'each socket owner read from /proc');
  } finally {
    await r.close();
  }
});

test('ffmpeg records a camera that wants a password, with no password on its command line', {
  timeout: 30_000,
}, async () => {
  const gate = await authGate(sim.port);
  const dir = mkdtempSync(join(tmpdir(), 'vigil-redirect-'));
  const committed: IndexedSegment[] = [];
  const sink: SegmentSink = {
    commit: async (staged, seg) => {
      rmSync(staged, { force: true });
      const s = { ...seg, id: committed.length + 1, path: staged } as unknown as IndexedSegment;
      committed.push(s);
      return s;
    },
  };
  const recorder = new Recorder({ nodeId: 'n1', stagingRoot: dir, sink, log });
  try {
    await recorder.apply([{ id: 'cam1', url: `rtsp://${USER}:${PASSWORD}@127.0.0.1:${gate.port}/cam1` }]);
    const deadline = Date.now() + 20_000;
    let cmdline = '';
    while (committed.length < 2) {
      const pid = recorder.status().cam1?.pid;
      if (pid) cmdline ||= readFileSync(`/proc/${pid}/cmdline`, 'utf8').replaceAll('\0', ' ');
      if (Date.now() > deadline) throw new Error(`no segments; gate saw ${JSON.stringify(gate.seen)}`);
      await new Promise((res) => setTimeout(res, 50));
    }
    assert.ok(cmdline.includes('ffmpeg'), cmdline);
    assert.ok(
      !cmdline.includes(PASSWORD) && !cmdline.includes('hunter2'),
      `the password is on the command line: ${cmdline}`,
    );
    assert.match(cmdline, / -i rtsp:\/\/127\.0\.0\.1:\d+\/[A-Za-z0-9_-]{24} /);
    assert.ok(gate.seen.includes(`Basic ${Buffer.from(`${USER}:${PASSWORD}`).toString('base64')}`));
  } finally {
    await recorder.close();
    await gate.close();
    rmSync(dir, { recursive: true, force: true });
  }
});
