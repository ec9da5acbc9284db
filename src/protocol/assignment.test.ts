import { test } from 'node:test';
import assert from 'node:assert/strict';
import { assignmentProblems, type Assignment } from './assignment.ts';

/** An assignment as the master builds it. */
export function sampleAssignment(): Assignment {
  return {
    term: 1,
    generation: 3,
    server: { id: 's1', host: '127.0.0.1', udpPort: 5045, storage: { paths: '/d1;*/d2', minFreeBytes: 5 } },
    cameras: [
      {
        id: 'c1',
        url: 'rtsp://u:p@h/c1',
        audio: false,
        streams: [{ url: 'rtsp://h/c1s' }],
        storage: { maxStorageDays: '3;20' },
      },
      { id: 'c2', url: 'rtsp://h/c2', buffer: { ms: 7000 } },
      { id: 'c3', url: 'rtsp://h/c3', recordFromMs: 1_700_000_000_000 },
    ],
    retentionDays: { c1: '3;20', c9: 4 },
    buddies: [{ id: 's2', host: '127.0.0.2', port: 5046 }],
    alive: { send: { s2: 'a'.repeat(64) }, receive: { s2: 'b'.repeat(64) } },
    copySources: [{ job: 'fb2-c7~0-s1', home: 's3', camera: 'c7', stream: 0, fromMs: 10, toMs: 20 }],
    copyBack: [
      { id: 'fb1-c1~0-s2', camera: 'c1', stream: 0, source: { server: 's2', url: 'http://h:1' }, fromMs: 1, toMs: 2 },
    ],
    settings: {
      AliveIntervalMs: 250,
      FarmHealthStartDelayMs: 5000,
      FarmHealthSockTimeoutMs: 1500,
      FarmHealthMissedUdpMs: 2000,
      StatusIntervalMs: 500,
      CopyBackMaxBytesPerSec: 0,
    },
  };
}

test('an assignment the master builds has no problems, nor one without its optional parts', () => {
  assert.deepEqual(assignmentProblems(sampleAssignment()), []);
  const { retentionDays: _, copyBack: __, copySources: ___, ...bare } = sampleAssignment();
  assert.deepEqual(
    assignmentProblems({ ...bare, settings: { ...bare.settings, CopyBackMaxBytesPerSec: undefined } }),
    [],
  );
});

test('a broken assignment is named by what breaks it', () => {
  const cases: [string, (a: Record<string, unknown>) => void, RegExp][] = [
    ['no cameras', (a) => delete a.cameras, /^\/cameras: /],
    ['a camera without url', (a) => delete (a.cameras as Record<string, unknown>[])[0].url, /^\/cameras\/0\/url: /],
    ['a generation that is text', (a) => (a.generation = '3'), /^\/generation: /],
    [
      'an unknown storage setting',
      (a) => ((a.server as { storage: object }).storage = { paths: '/d', x: 1 }),
      /^\/server\/storage/,
    ],
    [
      'a copy job without source',
      (a) => delete (a.copyBack as Record<string, unknown>[])[0].source,
      /^\/copyBack\/0\/source: /,
    ],
    ['a buddy port out of range', (a) => ((a.buddies as { port: number }[])[0].port = 70_000), /^\/buddies\/0\/port: /],
    ['no Alive keys', (a) => delete a.alive, /^\/alive: /],
    [
      'a key that is not hex',
      (a) => ((a.alive as { send: object }).send = { s2: 'x'.repeat(64) }),
      /^\/alive\/send\/s2: /,
    ],
    [
      'a buddy without its send key',
      (a) => ((a.alive as { send: object }).send = {}),
      /^\/alive\/send: no key for buddy s2$/,
    ],
    [
      'a buddy without its receive key',
      (a) => ((a.alive as { receive: object }).receive = {}),
      /^\/alive\/receive: no key for buddy s2$/,
    ],
    [
      'a copy source without home',
      (a) => delete (a.copySources as Record<string, unknown>[])[0].home,
      /^\/copySources\/0\/home: /,
    ],
  ];
  for (const [what, breakIt, where] of cases) {
    const a = sampleAssignment() as unknown as Record<string, unknown>;
    breakIt(a);
    const problems = assignmentProblems(a);
    assert.ok(problems.length >= 1 && problems.length <= 10, what);
    assert.match(problems[0], where, what);
  }
  assert.match(assignmentProblems('{}')[0], /^\/: /);
  assert.deepEqual(assignmentProblems(null).length > 0, true);
});
