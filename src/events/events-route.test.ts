import { test } from 'node:test';
import assert from 'node:assert/strict';
import { request } from 'node:http';
import Fastify from 'fastify';
import { EventHub } from './event-hub.ts';
import { MAX_UNSENT_BYTES, registerEventsRoute } from './events-route.ts';
import { errorHandler } from '../lib/http/error-handler.ts';
import { createLogger } from '../lib/log.ts';

test('a stream that stops reading is dropped once it holds too much unsent, not kept growing', async (t) => {
  const app = Fastify();
  const hub = new EventHub('boot');
  registerEventsRoute(app, { hub, maxStreams: 5, snapshot: async () => ({ servers: [] }) });
  await app.listen({ host: '127.0.0.1', port: 0 });
  t.after(() => app.close());
  const { port } = app.server.address() as { port: number };
  const res = await new Promise<import('node:http').IncomingMessage>((resolve) =>
    request({ host: '127.0.0.1', port, path: '/api/v1/events' }, resolve).end(),
  );
  assert.equal(res.headers['content-type'], 'text/event-stream; charset=utf-8');
  // The client reads nothing more: the master's side fills its buffers, then the stream is ended.
  res.pause();
  const big = 'x'.repeat(256 * 1024);
  await new Promise((r) => setTimeout(r, 50));
  for (let i = 0; i < (4 * MAX_UNSENT_BYTES) / big.length && hub.listeners > 0; i++) hub.publish('server', big);
  assert.equal(hub.listeners, 0, 'the stream unsubscribed');
  res.destroy();
});

test('a stream is refused beyond the bound (429), and a new client gets a snapshot first', async (t) => {
  const app = Fastify();
  app.setErrorHandler(errorHandler(createLogger('t', 'silent'), 'test'));
  const hub = new EventHub('boot');
  registerEventsRoute(app, { hub, maxStreams: 1, snapshot: async () => ({ servers: ['s1'] }) });
  await app.listen({ host: '127.0.0.1', port: 0 });
  t.after(() => app.close());
  const { port } = app.server.address() as { port: number };
  const first = await new Promise<import('node:http').IncomingMessage>((resolve) =>
    request({ host: '127.0.0.1', port, path: '/api/v1/events' }, resolve).end(),
  );
  const text = await new Promise<string>((resolve) => {
    let s = '';
    first.on('data', (d: Buffer) => {
      s += d.toString();
      if (s.includes('event: snapshot')) resolve(s);
    });
  });
  assert.match(
    text,
    /^retry: 1000\n\nid: boot\.0\nevent: snapshot\ndata: \{"atMs":\d+,"value":\{"servers":\["s1"\]\}\}\n\n$/,
  );
  const second = await new Promise<import('node:http').IncomingMessage>((resolve) =>
    request({ host: '127.0.0.1', port, path: '/api/v1/events' }, resolve).end(),
  );
  assert.equal(second.statusCode, 429);
  second.resume();
  first.destroy();
});
