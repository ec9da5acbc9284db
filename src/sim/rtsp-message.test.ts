import { test } from 'node:test';
import assert from 'node:assert/strict';
import { formatReply, mediaCount, parseHead, parseUrl, pathOf } from './rtsp-message.ts';

test('a request head gives its method, uri and headers, names in lower case', () => {
  const req = parseHead(
    'SETUP rtsp://h/cam1/trackID=1 RTSP/1.0\r\nCSeq: 3\r\nTransport:  RTP/AVP/TCP;interleaved=2-3 ',
  );
  assert.deepEqual(req, {
    method: 'SETUP',
    uri: 'rtsp://h/cam1/trackID=1',
    headers: new Map([
      ['cseq', '3'],
      ['transport', 'RTP/AVP/TCP;interleaved=2-3'],
    ]),
  });
});

test('a head that is not RTSP 1.0, or has a line without a header name, is refused', () => {
  assert.equal(parseHead('GET / HTTP/1.1\r\nHost: x'), undefined);
  assert.equal(parseHead('OPTIONS rtsp://h/ RTSP/1.0\r\n: no name'), undefined);
  assert.equal(parseHead('OPTIONS rtsp://h/ RTSP/1.0\r\nno colon'), undefined);
});

test('a reply carries CSeq, the server name, the session and the body length', () => {
  assert.equal(
    formatReply({ status: 200, headers: { 'Content-Type': 'application/sdp' }, body: 'v=0\r\n' }, '2', 'abc', 60),
    'RTSP/1.0 200 OK\r\nCSeq: 2\r\nServer: vigil-sim\r\nSession: abc;timeout=60\r\nContent-Type: application/sdp\r\nContent-Length: 5\r\n\r\nv=0\r\n',
  );
  assert.equal(
    formatReply({ status: 400 }, undefined, undefined, 60),
    'RTSP/1.0 400 Bad Request\r\nServer: vigil-sim\r\n\r\n',
  );
  assert.equal(formatReply({ status: 599 }, '1', undefined, 60).split('\r\n')[0], 'RTSP/1.0 599 Error');
});

test('a URL names its stream path decoded and without slashes; only rtsp: URLs count', () => {
  assert.equal(pathOf(parseUrl('rtsp://h:8554//cam%201/sub/')!), 'cam 1/sub');
  assert.equal(pathOf(parseUrl('rtsp://h/bad%zz')!), 'bad%zz');
  assert.equal(parseUrl('http://h/cam1'), undefined);
  assert.equal(parseUrl('not a url'), undefined);
});

test('the media sections of an SDP are counted', () => {
  assert.equal(mediaCount('v=0\r\nm=video 0 RTP/AVP 96\r\nm=audio 0 RTP/AVP 97\r\n'), 2);
  assert.equal(mediaCount('v=0\n'), 0);
});
