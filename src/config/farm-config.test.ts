import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseFarmConfig } from './farm-config.ts';
import { VigilError } from '../lib/errors.ts';

const good = () => ({
  groups: [{ id: 1 }, { id: 7, redundancy: true }],
  servers: [
    { id: 's1', group: 1, host: '127.0.0.1', udpPort: 6001 },
    { id: 's2', group: 1, host: '127.0.0.1', udpPort: 6002 },
    { id: 's3', group: 1, host: '127.0.0.1', udpPort: 6003 },
    { id: 's7', group: 7, host: '127.0.0.1', udpPort: 6007 },
  ],
  cameras: [
    { id: 'c1', url: 'rtsp://u:p@127.0.0.1:8554/c1', server: 's1' },
    { id: 'c7', url: 'rtsp://127.0.0.1:8554/c7', server: 's7', movable: false },
  ],
});

test('a good configuration gets its defaults and a warning for a group that cannot fail over', () => {
  const { config, warnings } = parseFarmConfig(good());
  assert.equal(config.settings.FarmHealthMissedUdpMs, 2000);
  assert.equal(config.settings.FarmHealthUdpPort, 5045);
  assert.equal(config.groups[0].redundancy, true);
  assert.equal(config.cameras[0].movable, true);
  assert.deepEqual(warnings, [
    'group 7 has redundancy on but no redundant server (one with 0 cameras): it cannot fail over',
  ]);
});

test('every problem is named in one error', () => {
  const c = good() as any;
  c.bogus = 1;
  c.cameras.push({ id: 'c1', url: 'http://x', server: 'nope' });
  c.cameras.push({ id: 'c9', url: 'not a url', server: 's1', colour: 'red' });
  c.servers.push({ id: 's1', group: 3, host: '127.0.0.1', udpPort: 6001 });
  try {
    parseFarmConfig(c);
    assert.fail('accepted');
  } catch (e) {
    assert.ok(e instanceof VigilError);
    assert.equal(e.code, 'CONFIG_INVALID');
    const want = [
      '/bogus: Unexpected property',
      '/cameras/3/colour: Unexpected property',
      'duplicate id "c1"',
      'unknown server "nope"',
      '/cameras/2/url: camera "c1": not a valid',
      '/cameras/3/url: camera "c9": the URL holds whitespace',
      'duplicate id "s1"',
      'unknown redundancy group 3',
      'already used by server s1',
    ];
    for (const w of want) assert.ok(e.message.includes(w), `missing ${w} in\n${e.message}`);
    assert.equal(e.details.length, want.length, e.message);
  }
});

test('a camera URL with whitespace is refused naming the camera, never echoing the URL; percent-encoded ones pass', () => {
  const c = good() as any;
  c.cameras[0].url = 'rtsp://admin:my secret@127.0.0.1:8554/c1';
  c.cameras[1].streams = [{ url: 'rtsp://admin:tab\tbed@127.0.0.1:8554/c7/sub' }, { url: 'rtsp://h/x\n' }];
  try {
    parseFarmConfig(c);
    assert.fail('accepted');
  } catch (e) {
    assert.ok(e instanceof VigilError);
    assert.deepEqual(e.details, [
      '/cameras/0/url: camera "c1": the URL holds whitespace or a control character (write a space in a password as %20)',
      '/cameras/1/streams/0/url: camera "c7": the URL holds whitespace or a control character (write a space in a password as %20)',
      '/cameras/1/streams/1/url: camera "c7": the URL holds whitespace or a control character (write a space in a password as %20)',
    ]);
    assert.ok(!e.message.includes('secret') && !e.message.includes('bed'), e.message);
  }
  const ok = good() as any;
  ok.cameras[0].url = 'rtsp://admin:my%20s%40cret%2F@127.0.0.1:8554/c1';
  ok.cameras[1].url = 'rtsp://admin:p@ss@127.0.0.1:8554/c7';
  const { config } = parseFarmConfig(ok);
  assert.equal(config.cameras[0].url, 'rtsp://admin:my%20s%40cret%2F@127.0.0.1:8554/c1');
  assert.equal(config.cameras[1].url, 'rtsp://admin:p@ss@127.0.0.1:8554/c7');
});

test('input of the wrong shape is refused with the reason, not a crash', () => {
  for (const bad of [null, 42, 'x', [], { groups: 'no', servers: [1], cameras: [{}] }]) {
    assert.throws(
      () => parseFarmConfig(bad),
      (e: Error) => e instanceof VigilError && e.code === 'CONFIG_INVALID',
    );
  }
});

test('bad settings and ids are refused', () => {
  const c = { ...good(), settings: { FarmHealthMissedUdpMs: -5, Nope: 1 } } as any;
  c.servers[0].id = '../etc';
  assert.throws(
    () => parseFarmConfig(c),
    (e: Error) => /FarmHealthMissedUdpMs/.test(e.message) && /Nope/.test(e.message) && /servers\/0\/id/.test(e.message),
  );
});

test('storage settings, streams and audio go through; every storage problem is named with its config path', () => {
  const c = good() as any;
  c.servers[0].storage = { paths: '/data1;*/data2', availability: 'redundant', minFreePercent: 5 };
  c.cameras[0].storage = { maxStorageDays: '3;20' };
  c.cameras[0].streams = [{ url: 'rtsp://127.0.0.1:8554/c1/sub', audio: false }];
  c.cameras[0].audio = false;
  const { config } = parseFarmConfig(c);
  assert.deepEqual(
    { ...config.servers[0].storage, minFreeBytes: undefined },
    {
      paths: '/data1;*/data2',
      availability: 'redundant',
      minFreePercent: 5,
      minFreeBytes: undefined,
      defaultMaxStorageDays: 0,
      keepMetadataLonger: false,
      metadataStorageDays: 0,
    },
  );
  assert.deepEqual(config.cameras[0].streams, [{ url: 'rtsp://127.0.0.1:8554/c1/sub', audio: false }]);
  assert.equal(config.cameras[0].audio, false);

  c.servers[0].storage = { paths: 'relative/path;/ok', minFreePercent: 120, availability: 'mirror' };
  c.cameras[0].storage = { maxStorageDays: '3;x' };
  c.cameras[1].storage = { paths: 'also/relative' };
  c.cameras[1].streams = [{ url: 'http://nope' }];
  try {
    parseFarmConfig(c);
    assert.fail('accepted');
  } catch (e) {
    assert.ok(e instanceof VigilError);
    const d = e.details as string[];
    assert.deepEqual(d.filter((p) => p.includes('storage')).sort(), [
      '/cameras/0/storage/maxStorageDays: "x" (entry 2) is not a whole number of days',
      '/cameras/1/storage/paths: "also/relative" is not an absolute path',
      '/servers/0/storage/availability: must be "failover" or "redundant"',
      '/servers/0/storage/minFreePercent: Expected number to be less or equal to 100',
      '/servers/0/storage/paths: "relative/path" is not an absolute path',
    ]);
    assert.ok(d.includes('/cameras/1/streams/0/url: camera "c7": not a valid rtsp:// or rtsps:// URL'), d.join('\n'));
  }
});

test('failover settings: policies, triggers and roles are checked and every problem named', () => {
  const c = good() as any;
  c.groups[0] = {
    id: 1,
    policy: 'standby',
    failoverServers: ['s2', 's7', 'nope'],
    secondaryFailoverServers: ['s2'],
    failbackAfterMs: 5,
    triggers: ['manual', 'bogus'],
  };
  c.servers[2].hotStandbyFor = 's1';
  c.cameras[0].priority = 'urgent';
  try {
    parseFarmConfig(c);
    assert.fail('accepted');
  } catch (e) {
    assert.ok(e instanceof VigilError);
    const want = [
      '/groups/0/failoverServers/1: server s7 is not in group 1',
      '/groups/0/failoverServers/2: unknown server "nope"',
      '/groups/0/secondaryFailoverServers/0: server s2 is already a failover server in failoverServers',
      '/groups/0/failbackAfterMs: only with onReturn "failback"',
      '/groups/0/triggers/1',
      '/servers/2/hotStandbyFor: group 1 does not have policy "hot"',
      '/cameras/0/priority',
    ];
    for (const w of want) assert.ok(e.message.includes(w), `missing ${w} in\n${e.message}`);
  }
  const ok = good() as any;
  ok.groups[0] = {
    id: 1,
    policy: 'hot',
    onReturn: 'failback',
    failbackAfterMs: 60000,
    triggers: ['buddy-quorum', 'manual'],
  };
  ok.servers[2].hotStandbyFor = 's1';
  ok.cameras[0].failoverMode = 'live-only';
  const { config, warnings } = parseFarmConfig(ok);
  assert.deepEqual(config.groups[0], {
    id: 1,
    redundancy: true,
    policy: 'hot',
    onReturn: 'failback',
    failbackAfterMs: 60000,
    triggers: ['buddy-quorum', 'manual'],
    failoverServers: [],
    secondaryFailoverServers: [],
  });
  assert.deepEqual(config.groups[1].triggers, [
    'buddy-quorum',
    'status-lost',
    'storage-failed',
    'recording-failed',
    'manual',
  ]);
  assert.ok(
    warnings.includes('group 7 has redundancy on but no redundant server (one with 0 cameras): it cannot fail over'),
  );
});
