import { test } from 'node:test';
import assert from 'node:assert/strict';
import { EventHub } from './event-hub.ts';

test('events are numbered per boot, in order, with the commit time given', () => {
  const hub = new EventHub('b1', () => 100);
  const seen: string[] = [];
  hub.subscribe((e) => seen.push(`${e.id} ${e.type} ${e.atMs}`));
  hub.publish('server', { id: 's1' });
  hub.publish('camera', { id: 'c1' }, 42);
  assert.deepEqual(seen, ['b1.1 server 100', 'b1.2 camera 42']);
  assert.equal(hub.lastId, 'b1.2');
});

test('a client that reconnects gets exactly what it missed', () => {
  const hub = new EventHub('b1');
  for (let i = 0; i < 5; i++) hub.publish('server', i);
  const r = hub.resume('b1.2');
  assert.ok('replay' in r);
  assert.deepEqual(
    r.replay.map((e) => e.value),
    [2, 3, 4],
  );
  assert.deepEqual(hub.resume('b1.5'), { replay: [] });
});

test('a new client, another boot, a malformed id, one from the future or beyond the ring: a snapshot', () => {
  const hub = new EventHub('b1', Date.now, 3);
  for (let i = 0; i < 6; i++) hub.publish('server', i);
  for (const id of [undefined, '', 'b0.3', 'nonsense', 'b1.x', 'b1.99', 'b1.1', 'b1.2'])
    assert.deepEqual(hub.resume(id), { snapshot: true }, String(id));
  // The ring holds 4, 5, 6: a client that saw 3 is whole.
  const r = hub.resume('b1.3');
  assert.ok('replay' in r);
  assert.deepEqual(
    r.replay.map((e) => e.seq),
    [4, 5, 6],
  );
});

test('an unsubscribed stream hears nothing more', () => {
  const hub = new EventHub('b1');
  let n = 0;
  const off = hub.subscribe(() => n++);
  hub.publish('a', 1);
  off();
  hub.publish('a', 2);
  assert.equal(n, 1);
  assert.equal(hub.listeners, 0);
});
