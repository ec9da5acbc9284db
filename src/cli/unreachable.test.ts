import { test } from 'node:test';
import assert from 'node:assert/strict';
import { unreachableReason } from './unreachable.ts';

const failed = (code: string, message = code) =>
  Object.assign(new TypeError('fetch failed'), { cause: Object.assign(new Error(message), { code }) });

test('each way of not reaching the master is said in words, with what to do', () => {
  const m = 'https://master.example:8080';
  for (const [err, want] of [
    [failed('ECONNREFUSED'), /^connection refused \(is `vigil master` running there/],
    [failed('ENOTFOUND'), /^no such host \(master\.example\)$/],
    [failed('UND_ERR_CONNECT_TIMEOUT'), /^no answer in time/],
    [
      failed('UNABLE_TO_VERIFY_LEAF_SIGNATURE', 'unable to verify the first certificate'),
      /--ca <master data>\/pki\/ca\.pem/,
    ],
    [failed('DEPTH_ZERO_SELF_SIGNED_CERT'), /not trusted here/],
    [failed('ERR_SSL_WRONG_VERSION_NUMBER', 'wrong version number'), /does not speak TLS/],
    [
      failed('ERR_TLS_CERT_ALTNAME_INVALID', "Hostname/IP does not match certificate's altnames"),
      /does not name master\.example/,
    ],
    [new Error('something else'), /^something else$/],
  ] as const)
    assert.match(unreachableReason(err, m), want, String((err as Error).cause ?? err));
});
