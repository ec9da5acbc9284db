import { test } from 'node:test';
import assert from 'node:assert/strict';
import { agoText, masterLines } from './master-status.ts';
import type { MasterAnswer } from '../api/master-info.ts';

const at = Date.UTC(2025, 0, 2, 3, 4, 5);
const masters = [
  { id: 'm1', url: 'https://10.0.0.1:8080', bootId: 'b1', version: '0.1.0', seenAgoMs: 300 },
  { id: 'm2', url: 'https://10.0.0.2:8080', bootId: 'b2', version: '0.1.0', seenAgoMs: 1800 },
];
const base = { url: '', version: '0.1.0', startedAtMs: at, store: 'postgresql' as const, term: 7, masters };

test('vigil status: a leading master, then a line per master seen (the answering one marked)', () => {
  const m: MasterAnswer = { ...base, id: 'm1', bootId: 'b1', url: masters[0].url, leader: true, leaderId: 'm1' };
  assert.deepEqual(masterLines(m), [
    'MASTER  m1 leading (term 7, postgresql store, Vigil 0.1.0, up since 2025-01-02T03:04:05.000Z)',
    '  m1  https://10.0.0.1:8080  leader   seen 0s ago   Vigil 0.1.0  (answering)',
    '  m2  https://10.0.0.2:8080  standby  seen 1s ago   Vigil 0.1.0',
  ]);
});

test('vigil status: a standby names the leader, its URL and term; with none, says a takeover is under way', () => {
  const m: MasterAnswer = {
    ...base,
    id: 'm2',
    bootId: 'b2',
    leader: false,
    leaderId: 'm1',
    leaderUrl: 'https://10.0.0.1:8080',
  };
  const [head, one, two] = masterLines(m);
  assert.equal(
    head,
    'MASTER  m2 standby — leader m1 https://10.0.0.1:8080, term 7 (postgresql store, Vigil 0.1.0, up since 2025-01-02T03:04:05.000Z)',
  );
  assert.match(one, /^ {2}m1 .* leader /);
  assert.match(two, /^ {2}m2 .* standby .*\(answering\)$/);
  const lapsed = masterLines({ ...m, leaderId: undefined, leaderUrl: undefined });
  assert.match(lapsed[0], /^MASTER {2}m2 standby — no master leads right now .*last term 7 /);
  assert.ok(
    lapsed.slice(1).every((l) => / standby /.test(l)),
    'none listed as leader',
  );
});

test('a SQLite master alone: its line as before, itself the one master listed', () => {
  const m: MasterAnswer = {
    ...base,
    store: 'sqlite',
    term: 1,
    id: '127.0.0.1:8080',
    bootId: 'b',
    url: 'https://127.0.0.1:8080',
    leader: true,
    masters: [{ id: '127.0.0.1:8080', url: 'https://127.0.0.1:8080', bootId: 'b', version: '0.1.0', seenAgoMs: 0 }],
  };
  const lines = masterLines(m);
  assert.match(lines[0], /^MASTER {2}\S+ leading \(term 1, sqlite store, Vigil \d+\.\d+\.\d+/);
  assert.equal(lines.length, 2);
});

test('seen ago: seconds, then minutes, hours, days', () => {
  assert.deepEqual([0, 999, 45_000, 119_999, 720_000, 3 * 3600e3, 2 * 86_400e3].map(agoText), [
    '0s',
    '0s',
    '45s',
    '119s',
    '12m',
    '3h',
    '2d',
  ]);
});
