import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { connect, type AddressInfo } from 'node:net';
import { createServer, type Server } from 'node:tls';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createLogger } from '../lib/log.ts';
import { CameraSim } from '../sim/camera-sim.ts';
import { CameraRecorder } from './camera-recorder.ts';
import { LocalIndex, type IndexedSegment } from '../storage/local-index.ts';
import { singlePathSink } from '../../test/support/test-sink.ts';
import { issueCertificate, newKeyPair, privateKeyPem, selfSignedCa } from '../auth/x509.ts';

// An rtsps camera: the simulator behind a TLS front (as a camera serving RTSP over TLS), its
// certificate signed by the camera vendor's CA for 127.0.0.1. Real ffmpeg records it through the
// verifying relay (ffmpeg 5.1 cannot verify an rtsps camera itself).

const log = createLogger('test', process.env.T_LOG ?? 'silent');
let sim: CameraSim;
let front: Server;
let dir: string;
/** Handshakes the camera's TLS front saw fail (ffmpeg refusing its certificate). */
let refusedHandshakes = 0;

/** A CA (PEM) and its key, written to `<dir>/<name>.pem`. */
async function ca(name: string) {
  const keys = await newKeyPair();
  const cert = await selfSignedCa(keys, name, 30);
  writeFileSync(join(dir, `${name}.pem`), cert);
  return { cert, key: keys.privateKey, file: join(dir, `${name}.pem`) };
}

before(async () => {
  dir = mkdtempSync(join(tmpdir(), 'vigil-rtsps-'));
  sim = new CameraSim({
    port: 0,
    cameras: [{ id: 'cam1', width: 320, height: 240, fps: 10, keyintSeconds: 1 }],
    log,
  });
  await sim.start();
  const vendor = await ca('vendor');
  const keys = await newKeyPair();
  const cert = await issueCertificate(vendor, keys.publicKey, { cn: 'cam1', uris: [], hosts: ['127.0.0.1'] }, 30);
  const simPort = Number(new URL(sim.url('cam1')).port);
  front = createServer({ key: await privateKeyPem(keys.privateKey), cert }, (tls) => {
    const plain = connect(simPort, '127.0.0.1');
    tls.pipe(plain).pipe(tls);
    const end = () => {
      tls.destroy();
      plain.destroy();
    };
    tls.on('error', end);
    plain.on('error', end);
    tls.on('close', end);
    plain.on('close', end);
  });
  front.on('tlsClientError', () => refusedHandshakes++);
  await new Promise<void>((r) => front.listen(0, '127.0.0.1', r));
});

after(async () => {
  await new Promise((r) => front?.close(r));
  await sim?.close();
  rmSync(dir, { recursive: true, force: true });
});

async function recorder(name: string, caFile: string, host = '127.0.0.1') {
  const root = join(dir, name);
  const index = new LocalIndex(join(dir, `${name}.sqlite`));
  const { sink, paths } = await singlePathSink(join(root, 'storage'), 'n1', index, log);
  const seen: IndexedSegment[] = [];
  const rec = new CameraRecorder({
    nodeId: 'n1',
    cameraId: 'cam1',
    url: `rtsps://${host}:${(front.address() as AddressInfo).port}/cam1`,
    tlsCaFile: caFile,
    stagingRoot: join(root, 'staging'),
    sink,
    log,
    onSegment: (s) => seen.push(s),
  });
  return {
    rec,
    seen,
    close: async () => {
      await rec.close();
      await paths.close();
      index.close();
    },
  };
}

async function waitFor(what: string, cond: () => boolean, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!cond()) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

test('an rtsps camera whose certificate chains to the CA file given is recorded', { timeout: 30_000 }, async () => {
  const r = await recorder('trusted', join(dir, 'vendor.pem'));
  try {
    r.rec.start();
    await waitFor('two segments over rtsps', () => r.seen.length >= 2, 20_000);
    assert.equal(r.rec.status().state, 'recording');
  } finally {
    await r.close();
  }
});

for (const c of [
  { why: 'another CA signed', name: 'stranger', host: '127.0.0.1' },
  { why: 'names another host', name: 'misnamed', host: 'localhost' },
])
  test(`an rtsps camera whose certificate ${c.why} is refused: ffmpeg does not record it`, {
    timeout: 30_000,
  }, async () => {
    const caFile = c.name === 'stranger' ? (await ca('other')).file : join(dir, 'vendor.pem');
    await refusedCamera(c.name, caFile, c.host);
  });

async function refusedCamera(name: string, caFile: string, host: string): Promise<void> {
  const before = refusedHandshakes;
  const r = await recorder(name, caFile, host);
  try {
    r.rec.start();
    // The relay refuses the camera's certificate (the camera sees the handshake fail) and ends
    // ffmpeg's connection; ffmpeg is restarted and knocks again: never a segment, no credential sent.
    await waitFor(
      'two refused handshakes and a restart',
      () => refusedHandshakes >= before + 2 && r.rec.status().restarts >= 1,
      20_000,
    );
    assert.equal(r.seen.length, 0);
    assert.notEqual(r.rec.status().state, 'recording');
  } finally {
    await r.close();
  }
}
