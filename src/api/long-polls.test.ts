import { test } from 'node:test';
import assert from 'node:assert/strict';
import { LongPolls } from './long-polls.ts';

test("a server's second long poll ends its first; the farm's polls are bounded", () => {
  const polls = new LongPolls(2);
  const s1 = polls.enter('s1')!;
  const s2 = polls.enter('s2')!;
  assert.equal(polls.enter('s3'), undefined, 'two wait already');
  const s1again = polls.enter('s1')!;
  assert.ok(s1.signal.aborted, 'the first poll of s1 ends');
  assert.ok(!s1again.signal.aborted && !s2.signal.aborted);
  s1.leave(); // the ended poll leaves after the one that replaced it came: it must not free that one's place
  assert.equal(polls.size, 2);
  assert.equal(polls.enter('s3'), undefined);
  s2.leave();
  assert.ok(polls.enter('s3'), 's2 gone: room for s3');
  s1again.leave();
  assert.equal(polls.size, 1);
});
