import { test } from 'node:test';
import assert from 'node:assert/strict';
import { VigilError } from '../lib/errors.ts';
import { allStoragePaths, cameraStoragePolicy, maxStorageDays, parseStorageSettings } from './storage-settings.ts';

function refused(fn: () => unknown): string[] {
  try {
    fn();
  } catch (e) {
    assert.ok(e instanceof VigilError, String(e));
    assert.equal(e.code, 'STORAGE_INVALID');
    for (const p of e.details) assert.ok(e.message.includes(String(p)), `message names ${String(p)}`);
    return e.details as string[];
  }
  assert.fail('accepted');
}

test('Symphony-style settings parse with defaults; the * path is the read path and is written too', () => {
  const parsed = parseStorageSettings({ paths: '/data1; */data2/', availability: 'redundant' }, {});
  assert.deepEqual(parsed.settings, {
    paths: ['/data1', '/data2'],
    readPath: '/data2',
    availability: 'redundant',
    minFreeBytes: 1024 ** 3,
    minFreePercent: 0,
    defaultMaxStorageDays: 0,
    keepMetadataLonger: false,
    metadataStorageDays: 0,
  });
  assert.deepEqual(parseStorageSettings({ paths: '/only' }, {}).settings.availability, 'failover');
  assert.equal(parseStorageSettings({ paths: '/only' }, {}).settings.readPath, undefined);
});

test('per-camera overrides: own paths, days per stream, blank = the server default', () => {
  const parsed = parseStorageSettings(
    { paths: '/data', defaultMaxStorageDays: 30, minFreePercent: 5 },
    {
      c1: { maxStorageDays: '3;20' },
      c2: { maxStorageDays: '7', paths: '/nas/a;*/nas/b' },
      c3: { maxStorageDays: 0 },
      c4: { maxStorageDays: ' ', paths: '' },
    },
  );
  assert.deepEqual(
    [
      maxStorageDays(parsed, 'c1', 0),
      maxStorageDays(parsed, 'c1', 1),
      maxStorageDays(parsed, 'c1', 2),
      maxStorageDays(parsed, 'c2', 0),
      maxStorageDays(parsed, 'c2', 5),
      maxStorageDays(parsed, 'c3', 1),
      maxStorageDays(parsed, 'c4', 0),
      maxStorageDays(parsed, 'unknown', 0),
    ],
    [3, 20, 30, 7, 7, 0, 30, 30],
  );
  assert.deepEqual(cameraStoragePolicy(parsed, 'c2').paths, ['/nas/a', '/nas/b']);
  assert.equal(cameraStoragePolicy(parsed, 'c2').readPath, '/nas/b');
  assert.equal(cameraStoragePolicy(parsed, 'c2').minFreePercent, 5);
  assert.equal(cameraStoragePolicy(parsed, 'c4'), parsed.settings);
  assert.deepEqual(allStoragePaths(parsed), ['/data', '/nas/a', '/nas/b']);
});

test('every problem is listed in one STORAGE_INVALID error, each with its path', () => {
  const problems = refused(() =>
    parseStorageSettings(
      {
        paths: 'data;*/a;*/b;/a',
        availability: 'mirror',
        minFreePercent: 101,
        minFreeBytes: -1,
        defaultMaxStorageDays: -2,
        keepMetadataLonger: 'yes',
        colour: 'red',
      },
      {
        c1: { maxStorageDays: '3;x' },
        c2: { maxStorageDays: '-1;4' },
        c3: { maxStorageDays: -5, paths: 'rel/path', extra: 1 },
        c4: 'nonsense',
      },
    ),
  );
  assert.deepEqual(
    problems.sort(),
    [
      '/availability: must be "failover" or "redundant"',
      '/cameras/c1/maxStorageDays: "x" (entry 2) is not a whole number of days',
      '/cameras/c2/maxStorageDays: "-1" (entry 1): days cannot be negative',
      '/cameras/c3/extra: Unexpected property',
      '/cameras/c3/maxStorageDays: days cannot be negative',
      '/cameras/c3/paths: "rel/path" is not an absolute path',
      '/cameras/c4: Expected object',
      '/colour: Unexpected property',
      '/defaultMaxStorageDays: Expected integer to be greater or equal to 0',
      '/keepMetadataLonger: Expected boolean',
      '/minFreeBytes: Expected integer to be greater or equal to 0',
      '/minFreePercent: Expected number to be less or equal to 100',
      '/paths: "/a" is listed twice',
      '/paths: "data" is not an absolute path',
      '/paths: only one path can be marked * (read from), found 2',
    ].sort(),
  );
});

test('an empty path list, an empty entry and a missing paths key are refused', () => {
  assert.deepEqual(
    refused(() => parseStorageSettings({ paths: '  ' }, {})),
    ['/paths: no storage path given'],
  );
  assert.deepEqual(
    refused(() => parseStorageSettings({ paths: '/a;;/b' }, {})),
    ['/paths: entry 2 is empty'],
  );
  assert.deepEqual(
    refused(() => parseStorageSettings({ paths: '/a;*' }, {})),
    ['/paths: entry 2 is empty'],
  );
  assert.deepEqual(
    refused(() => parseStorageSettings({}, {})),
    ['/paths: Expected required property'],
  );
  assert.deepEqual(
    refused(() => parseStorageSettings(undefined, {})),
    ['/: Expected object'],
  );
});
