import { test } from 'node:test';
import assert from 'node:assert/strict';
import { SESSION_IDLE_MS, SESSION_MAX_MS, lowerRole, sessionLive, tokenLive, touchDue } from './session-policy.ts';

const H = 3_600_000;

test('a session lives 12 h unused and 7 d at most', () => {
  const t0 = 1_000_000;
  const s = { expiresAt: t0 + SESSION_MAX_MS, lastSeenAt: t0 };
  for (const [at, live] of [
    [t0, true],
    [t0 + 12 * H - 1, true],
    [t0 + 12 * H, false],
  ] as const)
    assert.equal(sessionLive(s, at), live, `${(at - t0) / H} h unused`);
  const used = { expiresAt: t0 + SESSION_MAX_MS, lastSeenAt: t0 + 7 * 24 * H - H };
  assert.equal(sessionLive(used, t0 + 7 * 24 * H - 1), true, 'used an hour ago, before the end');
  assert.equal(sessionLive(used, t0 + 7 * 24 * H), false, 'used, but 7 d after login');
  assert.equal(SESSION_IDLE_MS, 12 * H);
});

test('a token lives until revoked or past its end; uses are written once a minute; the lower role wins', () => {
  assert.equal(tokenLive({ expiresAt: null, revokedAt: null }, 1e12), true);
  assert.equal(tokenLive({ expiresAt: 10, revokedAt: null }, 9), true);
  assert.equal(tokenLive({ expiresAt: 10, revokedAt: null }, 10), false);
  assert.equal(tokenLive({ expiresAt: null, revokedAt: 5 }, 6), false);
  assert.equal(touchDue(null, 0), true);
  assert.equal(touchDue(0, 59_999), false);
  assert.equal(touchDue(0, 60_000), true);
  assert.equal(lowerRole('admin', 'viewer'), 'viewer');
  assert.equal(lowerRole('operator', 'admin'), 'operator');
  assert.equal(lowerRole('operator', 'operator'), 'operator');
});
