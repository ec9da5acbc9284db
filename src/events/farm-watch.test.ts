import { test } from 'node:test';
import assert from 'node:assert/strict';
import { setTimeout as delay } from 'node:timers/promises';
import { EventHub } from './event-hub.ts';
import { COALESCE_MS, FarmWatch } from './farm-watch.ts';

function farm() {
  const servers = [{ id: 's1', state: 'up', lastStatusAt: 1 }];
  const cameras = [{ id: 'c1', currentServer: 's1', recording: 'recording' }];
  const copybacks: { id: string; percent: number }[] = [];
  const hub = new EventHub('b');
  const events: string[] = [];
  hub.subscribe((e) => events.push(`${e.type}:${JSON.stringify(e.value)}@${e.atMs}`));
  return { servers, cameras, copybacks, hub, events };
}

test('only what changed is published, once per burst of marks, stamped with the first mark', async () => {
  const f = farm();
  let now = 1000;
  const w = new FarmWatch(
    f.hub,
    { servers: () => f.servers, cameras: () => f.cameras, copybacks: () => f.copybacks },
    { now: () => now },
  );
  assert.deepEqual(f.events, [], 'the baseline is no event');
  f.servers[0] = { ...f.servers[0], lastStatusAt: 2 };
  w.mark();
  await delay(COALESCE_MS * 3);
  assert.deepEqual(f.events, [], 'a status time is no change');
  f.servers[0] = { ...f.servers[0], state: 'down' };
  w.mark();
  now = 1005;
  f.cameras[0] = { ...f.cameras[0], currentServer: 's2' };
  w.mark();
  await delay(COALESCE_MS * 3);
  assert.deepEqual(f.events, [
    'server:{"id":"s1","state":"down","lastStatusAt":2}@1000',
    'camera:{"id":"c1","currentServer":"s2","recording":"recording"}@1000',
  ]);
  w.close();
});

test('copy-back jobs: each progress change an event, and done when the job leaves the list', () => {
  const f = farm();
  const w = new FarmWatch(f.hub, { servers: () => [], cameras: () => [], copybacks: () => f.copybacks });
  f.copybacks.push({ id: 'j1', percent: 10 });
  w.flush();
  w.flush();
  f.copybacks[0] = { id: 'j1', percent: 50 };
  w.flush();
  f.copybacks.length = 0;
  w.flush();
  assert.deepEqual(
    f.events.map((e) => e.replace(/@\d+$/, '')),
    ['copyback:{"id":"j1","percent":10}', 'copyback:{"id":"j1","percent":50}', 'copyback-done:{"id":"j1"}'],
  );
  w.close();
});

test('a rendering that throws (the store out) publishes nothing and is tried again at the next mark', () => {
  const f = farm();
  let fail = false;
  const errors: unknown[] = [];
  const w = new FarmWatch(
    f.hub,
    {
      servers: () => {
        if (fail) throw new Error('store out');
        return f.servers;
      },
      cameras: () => [],
      copybacks: () => [],
    },
    { onError: (e) => errors.push(e) },
  );
  fail = true;
  f.servers[0] = { ...f.servers[0], state: 'down' };
  w.flush();
  assert.equal(errors.length, 1);
  fail = false;
  w.flush();
  assert.equal(f.events.length, 1);
  w.close();
});
