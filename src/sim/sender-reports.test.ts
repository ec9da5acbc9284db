import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseSenderReports } from '../recorder/rtp-parse.ts';
import { SenderClock, senderReport } from './sender-reports.ts';

function rtp(ts: number): Buffer {
  const p = Buffer.alloc(20);
  p[0] = 0x80;
  p.writeUInt32BE(ts >>> 0, 4);
  p.writeUInt32BE(0xabc, 8);
  return p;
}

test('a sender report round-trips through the parser the recorder uses', () => {
  const [sr] = parseSenderReports(senderReport(7, 1_796_000_000_123.5, 4_000_000_000, 10, 1000));
  assert.equal(sr.ssrc, 7);
  assert.equal(sr.rtpTimestamp, 4_000_000_000);
  assert.ok(Math.abs(sr.ntpMs - 1_796_000_000_123.5) < 0.001);
});

test('the sim reports the RTP time of the earliest emission relative to media time, across the 2^32 wrap', () => {
  const c = new SenderClock(90_000);
  assert.equal(c.report(1000), undefined);
  const base = 2 ** 32 - 9000 * 5;
  // Frames every 100 ms of media; frame 3 left 30 ms late (a busy event loop).
  for (let n = 0; n < 10; n++) c.rtp(rtp(base + 9000 * n), 10_000 + 100 * n + (n === 3 ? 30 : 0));
  const [sr] = parseSenderReports(c.report(12_000)!);
  assert.equal(sr.ssrc, 0xabc);
  assert.equal(sr.rtpTimestamp, (base + 9000 * 20) % 2 ** 32);
  c.reset();
  assert.equal(c.report(12_000), undefined);
});
