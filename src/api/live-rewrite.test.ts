import { test } from 'node:test';
import assert from 'node:assert/strict';
import { rewriteLivePlaylist } from './playback-routes.ts';
import { nodeBufferPath, nodeSegmentPath } from '../protocol/node-api.ts';

test("a node's live playlist gets the master's URIs: recorded segments by server and id, buffered ones by start", () => {
  const node = [
    '#EXTM3U',
    '#EXT-X-MEDIA-SEQUENCE:7',
    '#EXTINF:1.000,',
    nodeSegmentPath(41),
    '#EXT-X-DISCONTINUITY',
    '#EXTINF:1.000,',
    nodeBufferPath('lobby cam', 1, 1_700_000_000_000),
    '',
  ].join('\n');
  assert.equal(
    rewriteLivePlaylist(node, 's 1'),
    [
      '#EXTM3U',
      '#EXT-X-MEDIA-SEQUENCE:7',
      '#EXTINF:1.000,',
      '/api/v1/segments/s%201/41.ts',
      '#EXT-X-DISCONTINUITY',
      '#EXTINF:1.000,',
      '/api/v1/buffer/s%201/lobby%20cam/1/1700000000000.ts',
      '',
    ].join('\n'),
  );
});
