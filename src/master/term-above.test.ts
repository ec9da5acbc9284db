import { test } from 'node:test';
import assert from 'node:assert/strict';
import { termAbove } from './term-above.ts';

test('termAbove: a server ahead of the leader (a higher term, or its term with a higher generation) needs the term after its own', () => {
  const mine = { term: 5, generation: 20 };
  assert.equal(termAbove({ term: 5, generation: 20 }, mine), undefined, 'in step');
  assert.equal(termAbove({ term: 5, generation: 19 }, mine), undefined, 'behind in generation');
  assert.equal(termAbove({ term: 4, generation: 90 }, mine), undefined, 'an older term, whatever its generation');
  assert.equal(termAbove({ term: 5, generation: 21 }, mine), 6, 'its own term, a generation the store never reached');
  assert.equal(termAbove({ term: 9, generation: 1 }, mine), 10, 'a term the store never reached');
});
