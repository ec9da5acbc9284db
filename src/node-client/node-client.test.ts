import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Readable } from 'node:stream';
import type { NodeRequest, NodeResponse, SendRequest } from './keep-alive-http.ts';
import { NodeClient } from './node-client.ts';
import { NodeHttpError, NodeUnreachableError } from './node-http-error.ts';

/** A transport that records each request and answers with `answer(req)`. */
function transport(answer: (req: NodeRequest) => NodeResponse | Error): { http: SendRequest; sent: NodeRequest[] } {
  const sent: NodeRequest[] = [];
  return {
    sent,
    http: async (req) => {
      sent.push(req);
      const a = answer(req);
      if (a instanceof Error) throw a;
      return a;
    },
  };
}
const json = (status: number, body: unknown): NodeResponse => ({
  status,
  body: Readable.from([Buffer.from(JSON.stringify(body))]),
  trailers: () => ({}),
});
const signal = new AbortController().signal;

test('every call goes to the protocol URL on the base, with no credential but the TLS certificate', async () => {
  const t = transport(() => json(200, { camera: 'c 1', segments: [{ id: 1, startMs: 0, endMs: 1000, bytes: 5 }] }));
  const client = new NodeClient({ http: t.http });
  const segs = await client.segments('https://h:1/', { camera: 'c 1', from: 0, to: 10 }, signal);
  assert.deepEqual(segs, [{ id: 1, startMs: 0, endMs: 1000, bytes: 5 }]);
  assert.equal(t.sent[0].url, 'https://h:1/node/v1/segments?camera=c+1&from=0&to=10&stream=0');
  assert.equal(t.sent[0].headers.authorization, undefined);
  assert.equal(t.sent[0].method, 'GET');
});

test("an error answer is a NodeHttpError with the status and the node's error code", async () => {
  const t = transport(() => json(409, { error: { code: 'CHECKSUM_MISMATCH', message: 'differs', details: [] } }));
  const client = new NodeClient({ http: t.http });
  const err = await client.release('http://h:1', 7, 'a'.repeat(64), signal).catch((e: unknown) => e);
  assert.ok(err instanceof NodeHttpError);
  assert.equal(err.status, 409);
  assert.equal(err.code, 'CHECKSUM_MISMATCH');
  assert.equal(err.detail, 'differs');
  assert.equal(err.passing, false);
  assert.match(err.message, /^POST \/node\/v1\/segments\/7\/release: HTTP 409 CHECKSUM_MISMATCH differs$/);
  assert.equal(t.sent[0].headers['content-type'], 'application/json');
  assert.deepEqual(JSON.parse(t.sent[0].body!), { sha256: 'a'.repeat(64) });
});

test('a 5xx or 429 is passing; an answer that is not JSON keeps its text', async () => {
  const t = transport(() => ({ status: 503, body: Readable.from([Buffer.from('busy')]), trailers: () => ({}) }));
  const client = new NodeClient({ http: t.http });
  const err = await client.live('http://h:1', 'c1', 0, signal).catch((e: unknown) => e);
  assert.ok(err instanceof NodeHttpError);
  assert.equal(err.passing, true);
  assert.equal(err.code, undefined);
  assert.equal(err.detail, 'busy');
});

test('an answer that does not fit the protocol is refused; no answer is NodeUnreachableError', async () => {
  const bad = new NodeClient({ http: transport(() => json(200, { segments: 'x' })).http });
  const err = await bad.copyList('http://h:1', { camera: 'c', from: 0, to: 1 }, signal).catch((e: unknown) => e);
  assert.ok(err instanceof NodeHttpError);
  assert.equal(err.code, 'BAD_ANSWER');
  const down = new NodeClient({ http: transport(() => new Error('ECONNREFUSED')).http });
  const gone = await down.checkStorage('http://h:1', { paths: ['/d'] }, signal).catch((e: unknown) => e);
  assert.ok(gone instanceof NodeUnreachableError);
  assert.match(gone.message, /^POST \/node\/v1\/storage\/check at http:\/\/h:1: ECONNREFUSED$/);
});
