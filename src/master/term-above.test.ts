import { test } from 'node:test';
import assert from 'node:assert/strict';
import { MAX_TERM, TermCatchUp, termAbove } from './term-above.ts';

test('termAbove: a server ahead of the leader (a higher term, or its term with a higher generation) needs the term after its own', () => {
  const mine = { term: 5, generation: 20 };
  assert.equal(termAbove({ term: 5, generation: 20 }, mine), undefined, 'in step');
  assert.equal(termAbove({ term: 5, generation: 19 }, mine), undefined, 'behind in generation');
  assert.equal(termAbove({ term: 4, generation: 90 }, mine), undefined, 'an older term, whatever its generation');
  assert.equal(termAbove({ term: 5, generation: 21 }, mine), 6, 'its own term, a generation the store never reached');
  assert.equal(termAbove({ term: 9, generation: 1 }, mine), 10, 'a term the store never reached');
});

test('TermCatchUp: one raise above every server heard, at most every 10 s, never above MAX_TERM', () => {
  const c = new TermCatchUp(10_000);
  const mine = { term: 5, generation: 20 };
  assert.equal(c.heard('s1', { term: 7, generation: 3 }, mine, 0 + 100)?.to, 8, 's1 is ahead');
  // s2 holds more still, heard within the hold: no second raise yet, then one above it.
  assert.equal(c.heard('s2', { term: 9, generation: 1 }, mine, 5_000), undefined);
  const r = c.heard('s2', { term: 9, generation: 1 }, mine, 10_100);
  assert.equal(r?.to, 10);
  assert.match(r!.reason, /server s2 holds term 9 generation 1, above this master's \(5, 20\)/);
  // Above every server heard: s1's later claim is below s2's.
  const c2 = new TermCatchUp(10_000);
  c2.heard('s2', { term: 9, generation: 1 }, { term: 9, generation: 1 }, 0);
  assert.equal(c2.heard('s1', { term: 7, generation: 3 }, mine, 1)?.to, 10, "s2's term, heard in step before");
  // In step: nothing, whenever.
  assert.equal(new TermCatchUp().heard('s1', mine, mine, 1e9), undefined);
  // A claim beyond any farm's history is not believed.
  assert.equal(new TermCatchUp().heard('s1', { term: MAX_TERM, generation: 0 }, mine, 0), undefined);
});
