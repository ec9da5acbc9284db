import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  NODE_ROUTES,
  nodeBufferPath,
  nodeCopyListPath,
  nodeLivePath,
  nodeReleasePath,
  nodeSegmentIdPath,
  nodeSegmentPath,
  nodeSegmentsPath,
  nodeApiUrl,
  parseNodeBufferPath,
  parseNodeSegmentPath,
} from './node-api.ts';
import { nodeAssignmentPath, nodeStatusPath } from './node-channel.ts';

test('a segment path parses back to its id', () => {
  for (const id of [0, 1, 42, 999_999_999_999_999]) assert.deepEqual(parseNodeSegmentPath(nodeSegmentPath(id)), { id });
});

test('a buffer path parses back to its camera, stream and start, also for camera ids that need escaping', () => {
  for (const [camera, stream, startMs] of [
    ['c1', 0, 1_700_000_000_000],
    ['lobby cam/äö?#', 1, 5],
    ['%41', 99, 0],
  ] as const)
    assert.deepEqual(parseNodeBufferPath(nodeBufferPath(camera, stream, startMs)), { camera, stream, startMs });
});

test('other lines of a playlist are not node paths', () => {
  for (const line of [
    '#EXTINF:1.000,',
    '/node/v1/segments/12',
    '/node/v1/segments/12.ts?x=1',
    '/node/v1/segments/abc.ts',
    '/node/v1/buffer/c1/0/12',
    '/node/v1/buffer/c1/100/12.ts',
    '/node/v1/buffer/%E0%A4%A/0/12.ts',
    ' /node/v1/segments/12.ts',
  ]) {
    assert.equal(parseNodeSegmentPath(line), undefined, line);
    assert.equal(parseNodeBufferPath(line), undefined, line);
  }
});

test('the listing paths carry the range query; the other calls name their route', () => {
  const q = { camera: 'a b&c', from: 10, to: 20, stream: 1 };
  for (const [path, route] of [
    [nodeSegmentsPath(q), NODE_ROUTES.segments],
    [nodeCopyListPath(q), NODE_ROUTES.copyList],
  ]) {
    const u = new URL(path, 'http://x');
    assert.equal(u.pathname, route);
    assert.deepEqual(Object.fromEntries(u.searchParams), { camera: 'a b&c', from: '10', to: '20', stream: '1' });
  }
  assert.equal(new URL(nodeSegmentsPath({ camera: 'c', from: 1, to: 2 }), 'http://x').searchParams.get('stream'), '0');
  assert.equal(nodeSegmentIdPath(7), '/node/v1/segments/7');
  assert.equal(nodeReleasePath(7), '/node/v1/segments/7/release');
  assert.equal(nodeLivePath('a/b', 2), '/node/v1/cameras/a%2Fb/live.m3u8?stream=2');
  assert.equal(nodeStatusPath('s 1'), '/api/v1/nodes/s%201/status');
  assert.equal(nodeAssignmentPath('s1', -1), '/api/v1/nodes/s1/assignment?after=-1');
});

test("a node's API address is https, its configured host and its reported port, nothing else", () => {
  assert.equal(nodeApiUrl('10.0.0.11', 41234), 'https://10.0.0.11:41234');
  assert.equal(nodeApiUrl('rec-1.site.local', 8081), 'https://rec-1.site.local:8081');
  assert.equal(nodeApiUrl('fd00::11', 8081), 'https://[fd00::11]:8081');
  assert.equal(nodeApiUrl('::1', 8), 'https://[::1]:8');
  for (const port of [0, 65536, 1.5, Number.NaN]) assert.throws(() => nodeApiUrl('h', port), /not a port/);
});
