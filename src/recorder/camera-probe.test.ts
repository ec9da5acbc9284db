import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:net';
import { rtspReachable } from './camera-probe.ts';

function listen(
  onData: (data: string, reply: (s: string) => void) => void,
): Promise<{ server: Server; port: number; seen: string[] }> {
  const seen: string[] = [];
  const server = createServer((sock) => {
    sock.on('data', (d) => {
      seen.push(d.toString());
      onData(d.toString(), (s) => sock.write(s));
    });
    sock.on('error', () => {});
  });
  return new Promise((resolve) =>
    server.listen(0, '127.0.0.1', () => resolve({ server, port: (server.address() as { port: number }).port, seen })),
  );
}

test('a camera answering RTSP is reachable, even with 401; the probe sends no credentials', async () => {
  const { server, port, seen } = await listen((_d, reply) => reply('RTSP/1.0 401 Unauthorized\r\nCSeq: 1\r\n\r\n'));
  try {
    assert.equal(await rtspReachable(`rtsp://admin:s3cret@127.0.0.1:${port}/cam`, 2000), true);
    assert.match(seen.join(''), /^OPTIONS rtsp:\/\/127\.0\.0\.1:\d+\/cam RTSP\/1\.0\r\n/);
    assert.ok(!seen.join('').includes('s3cret'));
  } finally {
    server.close();
  }
});

test('a closed port, a silent peer and a peer speaking another protocol are not reachable cameras', async () => {
  const closed = await listen(() => {});
  const closedPort = closed.port;
  closed.server.close();
  assert.equal(await rtspReachable(`rtsp://127.0.0.1:${closedPort}/x`, 2000), false);
  const silent = await listen(() => {});
  const http = await listen((_d, reply) => reply('HTTP/1.1 400 Bad Request\r\n\r\n'));
  try {
    assert.equal(await rtspReachable(`rtsp://127.0.0.1:${silent.port}/x`, 300), false);
    assert.equal(await rtspReachable(`rtsp://127.0.0.1:${http.port}/x`, 2000), false);
    assert.equal(await rtspReachable('not a url', 100), false);
  } finally {
    silent.server.close();
    http.server.close();
  }
});
