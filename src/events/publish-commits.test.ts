import { test } from 'node:test';
import assert from 'node:assert/strict';
import { setTimeout as delay } from 'node:timers/promises';
import type { Store } from '../store/store.ts';
import { withTestStore } from '../store/test-db.ts';
import { EventHub } from './event-hub.ts';
import { publishCommits } from './publish-commits.ts';
import { parseFarmConfig } from '../config/farm-config.ts';

/** The store followed by publishCommits, what it published and marked, and one entry inserted. */
async function followedWithEntry(store: Store) {
  const hub = new EventHub('b');
  const seen: { type: string; value: any }[] = [];
  hub.subscribe((e) => seen.push({ type: e.type, value: e.value }));
  let marked = 0;
  publishCommits(store, hub, () => marked++);
  const id = await store.insertFailover({
    startedAt: 1,
    server: 's1',
    group: 1,
    trigger: 'buddy-quorum',
    status: 'running',
    detail: { reporters: ['s2'], moves: [] },
  });
  return { seen, marks: () => marked, id };
}

test("the failover log's writes are published as stored, in commit order; state writes mark a change", async () => {
  await withTestStore(async (store: Store) => {
    const { seen, marks, id } = await followedWithEntry(store);
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
    assert.equal(marks(), 3);
    await store.bumpGeneration();
    assert.equal(marks(), 4);
  });
});

test("a failover's commit (its moves and its entry in one transaction) is published and marked like the log's other writes", async () => {
  await withTestStore(async (store: Store) => {
    await store.applyConfig(
      parseFarmConfig({
        groups: [{ id: 1 }],
        servers: ['s1', 's2'].map((id, i) => ({ id, group: 1, host: '127.0.0.1', udpPort: 19171 + i })),
        cameras: [{ id: 'c1', url: 'rtsp://127.0.0.1:18998/c1', server: 's1' }],
      }).config,
    );
    const { seen, marks, id } = await followedWithEntry(store);
    const moves = [{ camera: 'c1', from: 's1', to: 's2', mode: 'record' as const }];
    await store.commitMoves({
      moves: [{ camera: 'c1', to: 's2' }],
      relays: [],
      entry: { id, status: 'running', detail: { reporters: ['s2'], moves } },
    });
    await delay(20);
    assert.deepEqual(
      seen.map((e) => [e.type, e.value.id, e.value.detail.moves.length]),
      [
        ['failover', id, 0],
        ['failover', id, 1],
      ],
    );
    assert.equal(marks(), 2, 'the moved camera is rendered again');
  });
});
