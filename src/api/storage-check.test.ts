import { test } from 'node:test';
import assert from 'node:assert/strict';
import { checkStorageOnServers, storageChecks } from './storage-check.ts';

const config = () => ({
  groups: [{ id: 1 }],
  servers: [
    { id: 's1', group: 1, host: 'h1', storage: { paths: '/d1;*/d2', minFreeBytes: 5, minFreePercent: 2 } },
    { id: 's2', group: 1, host: 'h2' },
    { id: 's3', group: 1, host: 'h3' },
  ],
  cameras: [
    { id: 'c1', url: 'rtsp://h/c1', server: 's1', storage: { paths: '/fast;/d1' } },
    { id: 'c2', url: 'rtsp://h/c2', server: 's2', storage: { paths: '/cam2' } },
    { id: 'c3', url: 'rtsp://h/c3', server: 's3', storage: { maxStorageDays: 3 } },
    { id: 'c4', url: 'rtsp://h/c4', server: 's3', storage: { paths: 'relative;/abs/' } },
  ],
});

test('each server is asked for its own paths and those of the cameras it is home to', () => {
  const checks = storageChecks(config());
  assert.deepEqual(
    checks.map((c) => [c.server, c.paths, c.minFreeBytes, c.minFreePercent]),
    [
      ['s1', ['/d1', '/d2', '/fast'], 5, 2],
      ['s2', ['/cam2'], undefined, undefined],
      ['s3', ['/abs'], undefined, undefined],
    ],
  );
  assert.equal(checks[0].at.get('/fast'), '/cameras/0/storage/paths');
});

test('problems are named by config entry and server; a server that does not answer is a warning', async () => {
  const r = await checkStorageOnServers(storageChecks(config()), async (server, body) => {
    if (server !== 's1') throw new Error('unreachable');
    return body.paths.filter((p) => p !== '/d1').map((p) => `${p}: not writable (EROFS)`);
  });
  assert.deepEqual(r.problems, [
    '/cameras/0/storage/paths: on server s1, /fast: not writable (EROFS)',
    '/servers/0/storage/paths: on server s1, /d2: not writable (EROFS)',
  ]);
  assert.deepEqual(
    r.warnings,
    ['s2', 's3'].map(
      (s) => `server ${s} did not answer: its storage paths were not checked (it reports unusable paths in its status)`,
    ),
  );
});
