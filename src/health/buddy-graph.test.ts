import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { buddyGraph } from './buddy-graph.ts';

function connected(g: Map<string, string[]>): boolean {
  const ids = [...g.keys()];
  if (ids.length === 0) return true;
  const seen = new Set([ids[0]]);
  const todo = [ids[0]];
  while (todo.length)
    for (const b of g.get(todo.pop()!)!)
      if (!seen.has(b)) {
        seen.add(b);
        todo.push(b);
      }
  return seen.size === ids.length;
}

test('a server alone has no buddies', () => {
  assert.deepEqual([...buddyGraph(['s7'])], [['s7', []]]);
});

test('two servers watch each other', () => {
  assert.deepEqual(Object.fromEntries(buddyGraph(['b', 'a'])), { a: ['b'], b: ['a'] });
});

test('three servers: each watches the two others', () => {
  assert.deepEqual(Object.fromEntries(buddyGraph(['s1', 's2', 's3'])), {
    s1: ['s2', 's3'],
    s2: ['s1', 's3'],
    s3: ['s1', 's2'],
  });
});

test('six servers: ring with distance two', () => {
  const g = buddyGraph(['a', 'b', 'c', 'd', 'e', 'f']);
  assert.deepEqual(g.get('a'), ['b', 'c', 'e', 'f']);
});

test('any group: connected, symmetric, at least min(3, n-1) buddies, deterministic', () => {
  fc.assert(
    fc.property(fc.uniqueArray(fc.string({ minLength: 1, maxLength: 4 }), { maxLength: 40 }), (ids) => {
      const g = buddyGraph(ids);
      assert.ok(connected(g));
      const required = Math.max(0, Math.min(3, g.size - 1));
      for (const [id, buddies] of g) {
        assert.ok(buddies.length >= required, `${id} has ${buddies.length}`);
        assert.ok(!buddies.includes(id));
        for (const b of buddies) assert.ok(g.get(b)!.includes(id), 'symmetric');
      }
      assert.deepEqual(buddyGraph([...ids].reverse()), g);
    }),
  );
});
