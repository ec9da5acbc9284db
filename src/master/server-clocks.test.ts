import { test } from 'node:test';
import assert from 'node:assert/strict';
import { pino } from 'pino';
import { ServerClocks, clockWarning } from './server-clocks.ts';

function fixture(bound = 500) {
  const lines: { msg: string; server?: string; camera?: string }[] = [];
  const log = pino<never>({ level: 'info' }, { write: (s: string) => void lines.push(JSON.parse(s)) });
  return { clocks: new ServerClocks({ log, boundMs: () => bound }), lines };
}

test('clockWarning: within the bound nothing, beyond it the figure and the bound, a contradicting estimate named', () => {
  assert.equal(clockWarning(499, 500), undefined);
  assert.equal(clockWarning(-499, 500), undefined);
  assert.equal(clockWarning(null, 500), undefined);
  assert.equal(clockWarning(5012, 500), 'clock +5012 ms off farm time (bound 500 ms)');
  assert.equal(clockWarning(-800, 500), 'clock -800 ms off farm time (bound 500 ms)');
  assert.match(clockWarning(0, 500, 5000) ?? '', /contradicts the master's \(at least 5000 ms\)/);
  assert.equal(clockWarning(5000, 500, 4990), clockWarning(5000, 500));
});

test("the server's own estimate is the figure; the master's from send times is the cross-check", () => {
  const { clocks } = fixture();
  assert.equal(clocks.of('s1'), undefined);
  // Sent 5 s ahead, arriving after 3 ms, then 1 ms: the least delayed is the master's figure.
  clocks.heard('s1', { clock: { sentAtMs: 15_000 }, cameras: {} }, 10_003);
  clocks.heard('s1', { clock: { sentAtMs: 15_500 }, cameras: {} }, 10_501);
  assert.deepEqual(clocks.of('s1'), {
    offsetMs: 4999,
    rttMs: null,
    masterEstimateMs: 4999,
    warning: 'clock +4999 ms off farm time (bound 500 ms)',
  });
  clocks.heard('s1', { clock: { sentAtMs: 16_000, offsetMs: 5001, rttMs: 2 }, cameras: {} }, 11_002);
  assert.equal(clocks.of('s1')?.offsetMs, 5001);
  assert.equal(clocks.of('s1')?.rttMs, 2);
});

test('a warning is logged once when it starts and once when it clears, not per status; cameras likewise', () => {
  const { clocks, lines } = fixture();
  const status = (offsetMs: number, cam?: number) => ({
    clock: { sentAtMs: 1000 + offsetMs, offsetMs, rttMs: 1 },
    cameras: { c1: { state: 'recording' as const, ...(cam !== undefined && { clockOffsetMs: cam }) } },
  });
  clocks.heard('s1', status(3), 1000);
  for (let i = 0; i < 5; i++) clocks.heard('s1', status(5000 + i, 900 + i), 1000);
  clocks.heard('s1', status(2, 10), 1000);
  clocks.heard('s1', status(2, 10), 1000);
  assert.deepEqual(
    lines.map((l) => `${l.msg}${l.camera ? ` ${l.camera}` : ''}`),
    [
      'server clock off farm time',
      'camera clock off farm time c1',
      'server clock within bound again',
      'camera clock within bound again c1',
    ],
  );
  assert.equal(clocks.cameraWarning(900), 'clock +900 ms off farm time (bound 500 ms)');
  assert.equal(clocks.cameraWarning(undefined), undefined);
});
