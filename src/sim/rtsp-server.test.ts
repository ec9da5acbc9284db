import { test } from 'node:test';
import assert from 'node:assert/strict';
import { connect, type Socket } from 'node:net';
import { createLogger } from '../lib/log.ts';
import { withTrackControls } from './rtsp-message.ts';
import { RtspServer, type RtspSink, type RtspSource } from './rtsp-server.ts';

const TWO_TRACKS = `${[
  'v=0',
  'o=- 0 0 IN IP4 127.0.0.1',
  's=cam1',
  'c=IN IP4 0.0.0.0',
  't=0 0',
  'm=video 0 RTP/AVP 96',
  'a=rtpmap:96 H264/90000',
  'm=audio 0 RTP/AVP 97',
  'a=rtpmap:97 MPEG4-GENERIC/48000/1',
].join('\r\n')}\r\n`;

test('withTrackControls closes each media section with its track control', () => {
  assert.equal(
    withTrackControls(TWO_TRACKS),
    `${[
      'v=0',
      'o=- 0 0 IN IP4 127.0.0.1',
      's=cam1',
      'c=IN IP4 0.0.0.0',
      't=0 0',
      'm=video 0 RTP/AVP 96',
      'a=rtpmap:96 H264/90000',
      'a=control:trackID=0',
      'm=audio 0 RTP/AVP 97',
      'a=rtpmap:97 MPEG4-GENERIC/48000/1',
      'a=control:trackID=1',
    ].join('\r\n')}\r\n`,
  );
  // One track, LF line ends, a stale control: as the single-track server always answered.
  assert.equal(
    withTrackControls('v=0\nm=video 0 RTP/AVP 96\na=control:x\n'),
    'v=0\r\nm=video 0 RTP/AVP 96\r\na=control:trackID=0\r\n',
  );
});

/** A source whose packets the test pushes by hand: track n's RTP payload is [n], its RTCP [0x80 | n]. */
class FakeSource implements RtspSource {
  readonly sinks = new Set<{ sink: RtspSink; track: number }>();
  constructor(private readonly description: string | undefined) {}
  sdp(): string | undefined {
    return this.description;
  }
  subscribe(sink: RtspSink, track: number): () => void {
    const entry = { sink, track };
    this.sinks.add(entry);
    return () => this.sinks.delete(entry);
  }
  push(): void {
    for (const { sink, track } of this.sinks) {
      sink.rtp(Buffer.from([track]));
      sink.rtcp(Buffer.from([0x80 | track]));
    }
  }
}

/** An RTSP client over one connection: request() answers the reply head; media() the interleaved frames so far. */
class RawClient {
  private readonly sock: Socket;
  private buf = Buffer.alloc(0);
  private readonly replies: string[] = [];
  private readonly frames: { channel: number; payload: number[] }[] = [];
  private waiter: (() => void) | undefined;
  private cseq = 0;

  constructor(port: number) {
    this.sock = connect(port, '127.0.0.1');
    this.sock.on('error', () => {});
    this.sock.on('data', (d) => {
      this.buf = Buffer.concat([this.buf, d]);
      for (;;) {
        if (this.buf[0] === 0x24 && this.buf.length >= 4) {
          const end = 4 + this.buf.readUInt16BE(2);
          if (this.buf.length < end) break;
          this.frames.push({ channel: this.buf[1], payload: [...this.buf.subarray(4, end)] });
          this.buf = this.buf.subarray(end);
          continue;
        }
        const head = this.buf.indexOf('\r\n\r\n');
        if (this.buf[0] === 0x24 || head < 0) break;
        const text = this.buf.subarray(0, head).toString('latin1');
        const length = Number(/Content-Length: (\d+)/i.exec(text)?.[1] ?? 0);
        if (this.buf.length < head + 4 + length) break;
        this.replies.push(this.buf.subarray(0, head + 4 + length).toString('latin1'));
        this.buf = this.buf.subarray(head + 4 + length);
      }
      this.waiter?.();
    });
  }

  async request(method: string, url: string, headers: Record<string, string> = {}): Promise<string> {
    const lines = [
      `${method} ${url} RTSP/1.0`,
      `CSeq: ${++this.cseq}`,
      ...Object.entries(headers).map(([k, v]) => `${k}: ${v}`),
    ];
    this.sock.write(`${lines.join('\r\n')}\r\n\r\n`);
    const n = this.cseq;
    await this.until(() => this.replies.some((r) => r.includes(`CSeq: ${n}\r\n`)));
    return this.replies.find((r) => r.includes(`CSeq: ${n}\r\n`))!;
  }

  /** Waits for `count` media frames, then answers them all. */
  async media(count: number): Promise<{ channel: number; payload: number[] }[]> {
    await this.until(() => this.frames.length >= count);
    return this.frames.splice(0);
  }

  private async until(cond: () => boolean): Promise<void> {
    const deadline = Date.now() + 3000;
    while (!cond()) {
      if (Date.now() > deadline) throw new Error('rtsp test client: timed out');
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, 50);
        this.waiter = () => {
          clearTimeout(timer);
          resolve();
        };
      });
    }
  }

  close(): void {
    this.sock.destroy();
  }
}

const session = (reply: string) => /Session: ([0-9a-f]+)/.exec(reply)?.[1] ?? 'none';

test('rtsp server: a two-track stream, set up whole or in part', async (t) => {
  const cam = new FakeSource(TWO_TRACKS);
  const sub = new FakeSource(TWO_TRACKS.replace('s=cam1', 's=cam1/sub'));
  const restarting = new FakeSource(undefined);
  const server = new RtspServer({ host: '127.0.0.1', port: 0, log: createLogger('rtsp-test', 'warn') });
  server.addPath('cam1', cam);
  server.addPath('cam1/sub', sub);
  server.addPath('cam2', restarting);
  await server.start();
  const clients: RawClient[] = [];
  t.after(async () => {
    for (const c of clients) c.close();
    await server.close();
  });
  const client = () => {
    const c = new RawClient(server.port);
    clients.push(c);
    return c;
  };
  const base = `rtsp://127.0.0.1:${server.port}`;
  const tcp = (channels?: string) => ({
    Transport: `RTP/AVP/TCP;unicast${channels ? `;interleaved=${channels}` : ''}`,
  });

  // Both tracks, as ffmpeg sets them up: each on its own channel pair, both relayed.
  const a = client();
  const described = await a.request('DESCRIBE', `${base}/cam1`);
  assert.match(described, /^RTSP\/1\.0 200 OK/);
  assert.match(described, /Content-Base: rtsp:\/\/127\.0\.0\.1:\d+\/cam1\/\r\n/);
  assert.ok(described.endsWith(withTrackControls(TWO_TRACKS)), described);
  const s0 = await a.request('SETUP', `${base}/cam1/trackID=0`, tcp('0-1'));
  assert.match(s0, /Transport: RTP\/AVP\/TCP;unicast;interleaved=0-1\r\n/);
  const s1 = await a.request('SETUP', `${base}/cam1/trackID=1`, { ...tcp('2-3'), Session: session(s0) });
  assert.match(s1, /Transport: RTP\/AVP\/TCP;unicast;interleaved=2-3\r\n/);
  assert.match(await a.request('PLAY', `${base}/cam1/`, { Session: session(s0) }), /^RTSP\/1\.0 200 OK/);
  cam.push();
  const got = await a.media(4);
  assert.deepEqual(
    got.sort((x, y) => x.channel - y.channel),
    [
      { channel: 0, payload: [0] },
      { channel: 1, payload: [0x80] },
      { channel: 2, payload: [1] },
      { channel: 3, payload: [0x81] },
    ],
  );
  // Adding a track mid-play is refused; the session plays on.
  assert.match(
    await a.request('SETUP', `${base}/cam1/trackID=1`, { ...tcp('4-5'), Session: session(s0) }),
    /^RTSP\/1\.0 455 /,
  );

  // Video only (a client that wants no audio): only its channels get media.
  const b = client();
  const v = await b.request('SETUP', `${base}/cam1/trackID=0`, tcp('0-1'));
  // The server subscribes right after writing the PLAY reply, so media pushed now reaches b.
  await b.request('PLAY', `${base}/cam1/`, { Session: session(v) });
  assert.equal(cam.sinks.size, 3);
  cam.push();
  assert.deepEqual(await b.media(2), [
    { channel: 0, payload: [0] },
    { channel: 1, payload: [0x80] },
  ]);
  assert.equal((await a.media(4)).length, 4);

  // Audio only, with no interleaved channels asked: the lowest pair is chosen.
  const c = client();
  const au = await c.request('SETUP', `${base}/cam1/trackID=1`, tcp());
  assert.match(au, /interleaved=0-1\r\n/);
  // Then video, again without channels: the next free pair.
  assert.match(
    await c.request('SETUP', `${base}/cam1/trackID=0`, { ...tcp(), Session: session(au) }),
    /interleaved=2-3\r\n/,
  );
  // Channels another track of the session holds are refused.
  assert.match(
    await c.request('SETUP', `${base}/cam1/trackID=0`, { ...tcp('0-1'), Session: session(au) }),
    /^RTSP\/1\.0 461 /,
  );

  // The bare path is track 0, for clients that ignore the control URL; an unknown track is 404.
  const d = client();
  assert.match(await d.request('SETUP', `${base}/cam1`, tcp('0-1')), /^RTSP\/1\.0 200 OK/);
  assert.match(await d.request('SETUP', `${base}/cam1/trackID=2`, tcp('2-3')), /^RTSP\/1\.0 404 /);
  // One session is one stream: the sub stream's tracks cannot join it.
  assert.match(await d.request('SETUP', `${base}/cam1/sub/trackID=1`, tcp('2-3')), /^RTSP\/1\.0 455 /);

  // The sub stream is a path of its own, not a track of cam1.
  const e = client();
  assert.match(await e.request('DESCRIBE', `${base}/cam1/sub`), /s=cam1\/sub\r\n/);
  const es = await e.request('SETUP', `${base}/cam1/sub/trackID=1`, tcp('0-1'));
  await e.request('PLAY', `${base}/cam1/sub/`, { Session: session(es) });
  sub.push();
  assert.deepEqual(await e.media(2), [
    { channel: 0, payload: [1] },
    { channel: 1, payload: [0x81] },
  ]);

  // A stream whose encoder is restarting cannot be described or set up yet.
  const f = client();
  assert.match(await f.request('DESCRIBE', `${base}/cam2`), /^RTSP\/1\.0 503 /);
  assert.match(await f.request('SETUP', `${base}/cam2/trackID=0`, tcp('0-1')), /^RTSP\/1\.0 503 /);

  // A broken stream ends every track of its clients, and TEARDOWN forgets the tracks.
  for (const { sink } of [...cam.sinks]) sink.end();
  assert.equal(cam.sinks.size, 0);
  const g = client();
  const gs = await g.request('SETUP', `${base}/cam1/trackID=1`, tcp('0-1'));
  assert.match(await g.request('TEARDOWN', `${base}/cam1/`, { Session: session(gs) }), /^RTSP\/1\.0 200 OK/);
  assert.match(await g.request('PLAY', `${base}/cam1/`), /^RTSP\/1\.0 455 /);
});
