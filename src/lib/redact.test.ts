import { test } from 'node:test';
import assert from 'node:assert/strict';
import { redactCredentials } from './redact.ts';

test('hides user and password of an rtsp url', () => {
  assert.equal(
    redactCredentials('open rtsp://admin:s3cr%40t@10.0.0.5:554/h264 failed'),
    'open rtsp://***@10.0.0.5:554/h264 failed',
  );
});
test('hides a user without password and leaves plain urls alone', () => {
  assert.equal(redactCredentials('rtsp://bob@cam/x http://host/a'), 'rtsp://***@cam/x http://host/a');
});

test('errors logged through the logger keep their type and lose their credentials', async () => {
  const { createLogger } = await import('./log.ts');
  const { Writable } = await import('node:stream');
  const lines: string[] = [];
  const log = createLogger(
    't',
    'info',
    new Writable({
      write(chunk, _e, cb) {
        lines.push(String(chunk));
        cb();
      },
    }),
  );
  log.error({ err: new TypeError('open rtsp://u:secret@cam/x failed', { cause: new Error('ECONNREFUSED') }) }, 'boom');
  const out = JSON.parse(lines[0]);
  assert.equal(out.err.type, 'Error');
  assert.equal(out.err.message, 'open rtsp://***@cam/x failed: ECONNREFUSED');
  assert.ok(!lines[0].includes('secret'));
});
