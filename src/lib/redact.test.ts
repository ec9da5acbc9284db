import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { redactCredentials } from './redact.ts';

test('hides the password of an rtsp url and keeps the user', () => {
  assert.equal(
    redactCredentials('open rtsp://admin:s3cr%40t@10.0.0.5:554/h264 failed'),
    'open rtsp://admin:***@10.0.0.5:554/h264 failed',
  );
});

test('the userinfo ends at the last @ before the path', () => {
  assert.equal(redactCredentials('rtsp://admin:p@ss@host/x'), 'rtsp://admin:***@host/x');
  assert.equal(redactCredentials('rtsp://admin:p@ss@host'), 'rtsp://admin:***@host');
  assert.equal(redactCredentials('rtsp://admin:a:b@c@host:554?x=1'), 'rtsp://admin:***@host:554?x=1');
  assert.equal(redactCredentials('rtsp://admin:p@ss@host/live@main'), 'rtsp://admin:***@host/live@main');
});

test('a password with spaces is hidden whole', () => {
  assert.equal(redactCredentials('camera rtsp://admin:my pass word@cam/x down'), 'camera rtsp://admin:***@cam/x down');
});

test('a user without password is hidden whole; plain urls are left alone', () => {
  assert.equal(redactCredentials('rtsp://bob@cam/x http://host/a'), 'rtsp://***@cam/x http://host/a');
  assert.equal(
    redactCredentials('see http://host:8080/a?b=c@d and mail bob@example.com'),
    'see http://host:8080/a?b=c@d and mail bob@example.com',
  );
});

test('every url of a text is redacted, on every line', () => {
  assert.equal(
    redactCredentials('a rtsp://u:p@h1 b rtsp://v:q@h2/x\nrtsps://w:r@h3/y'),
    'a rtsp://u:***@h1 b rtsp://v:***@h2/x\nrtsps://w:***@h3/y',
  );
  assert.equal(redactCredentials('{"url":"rtsp://u:p@h/x","n":1}'), '{"url":"rtsp://u:***@h/x","n":1}');
});

/** Text around a URL that holds no URL of its own and no '@' (else what is its userinfo is ambiguous). */
const around = fc.string({ unit: fc.constantFrom(...'ab cd-.,;()[]=_\t"'.split('')), maxLength: 20 });
const hostPath = fc.tuple(
  fc.stringMatching(/^[a-z0-9.-]{1,20}(:\d{1,5})?$/),
  fc.stringMatching(/^(\/[A-Za-z0-9._~@%-]{0,12}){0,3}(\?[a-z=&@]{0,10})?$/),
);
const user = fc.stringMatching(/^[A-Za-z0-9._~%-]{1,12}$/);

test('property: any password, raw (with @, :, spaces) or percent-encoded, is hidden and nothing else changes', () => {
  const rawPassword = fc.string({
    unit: fc.constantFrom(..."abcXYZ019 @:!$&'()*+,;=%~-_.".split('')),
    minLength: 1,
    maxLength: 24,
  });
  const anyPassword = fc.oneof(
    rawPassword,
    fc.string({ minLength: 1, maxLength: 24 }).map((p) => encodeURIComponent(p)),
  );
  fc.assert(
    fc.property(around, around, user, anyPassword, hostPath, (pre, post, u, p, [host, path]) => {
      const text = `${pre} rtsp://${u}:${p}@${host}${path} ${post}`;
      assert.equal(redactCredentials(text), `${pre} rtsp://${u}:***@${host}${path} ${post}`);
    }),
    { numRuns: 2000 },
  );
});

test('property: a url without userinfo and text without urls come out unchanged', () => {
  fc.assert(
    fc.property(around, around, hostPath, (pre, post, [host, path]) => {
      const text = `${pre}rtsp://${host}${path} ${post}`;
      assert.equal(redactCredentials(text), text);
    }),
  );
  fc.assert(
    fc.property(fc.string(), (s) => {
      if (!s.includes('://')) assert.equal(redactCredentials(s), s);
    }),
  );
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
  log.info({ camera: { url: 'rtsp://u:p@ss w0rd@cam/x' }, list: ['rtsp://u:hunter2@h'] }, 'at rtsp://u:hunter3@h/x');
  const out = JSON.parse(lines[0]);
  assert.equal(out.err.type, 'Error');
  assert.equal(out.err.message, 'open rtsp://u:***@cam/x failed: ECONNREFUSED');
  assert.ok(!lines[0].includes('secret'));
  const second = JSON.parse(lines[1]);
  assert.equal(second.camera.url, 'rtsp://u:***@cam/x');
  assert.deepEqual(second.list, ['rtsp://u:***@h']);
  assert.equal(second.msg, 'at rtsp://u:***@h/x');
  assert.ok(!/ss w0rd|hunter/.test(lines[1]));
});
