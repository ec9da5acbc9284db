import { test } from 'node:test';
import assert from 'node:assert/strict';
import { setTimeout as delay } from 'node:timers/promises';
import type { Store } from '../store/store.ts';
import { withTestStore } from '../store/test-db.ts';
import { EventHub } from './event-hub.ts';
import { publishCommits } from './publish-commits.ts';

test("the failover log's writes are published as stored, in commit order; state writes mark a change", async () => {
  await withTestStore(async (store: Store) => {
    const hub = new EventHub('b');
    const seen: { type: string; value: any }[] = [];
    hub.subscribe((e) => seen.push({ type: e.type, value: e.value }));
    let marks = 0;
    publishCommits(store, hub, () => marks++);
    const id = await store.insertFailover({
      startedAt: 1,
      server: 's1',
      group: 1,
      trigger: 'buddy-quorum',
      status: 'running',
      detail: { reporters: ['s2'], moves: [] },
    });
    await store.updateFailover(id, 'running', { reporters: ['s2'], moves: [], steps: [] } as never);
    await store.updateFailover(id, 'done', { reporters: ['s2'], moves: [] });
    await delay(20);
    assert.deepEqual(
      seen.map((e) => [e.type, e.value.id, e.value.status, e.value.server]),
      [
        ['failover', id, 'running', 's1'],
        ['failover', id, 'running', 's1'],
        ['failover', id, 'done', 's1'],
      ],
    );
    assert.deepEqual(seen[2].value, await store.failover(id), 'what is published is what the store holds');
    assert.equal(marks, 3);
    await store.bumpGeneration();
    assert.equal(marks, 4);
  });
});
