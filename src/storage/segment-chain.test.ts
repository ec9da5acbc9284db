import { test } from 'node:test';
import assert from 'node:assert/strict';
import { generateKeyPairSync } from 'node:crypto';
import { LocalIndex } from './local-index.ts';
import { SegmentChain } from './segment-chain.ts';
import { checkChain } from '../chain/chain-check.ts';

const keys = generateKeyPairSync('ec', { namedCurve: 'prime256v1' });

function setup() {
  const index = new LocalIndex(':memory:');
  let now = 5_000_000;
  const chain = new SegmentChain(index.sqlite, { server: 's1', key: keys.privateKey }, { now: () => now++ });
  const add = (camera: string, i: number) => {
    const seg = { cameraId: camera, startMs: i * 1000, endMs: i * 1000 + 1000, path: `${camera}/${i}.ts`, bytes: 10 };
    const id = index.add(seg);
    chain.appendSegment(id, {
      camera,
      stream: 0,
      startMs: seg.startMs,
      endMs: seg.endMs,
      bytes: 10,
      sha256: String(i).padStart(64, '0'),
    });
    return id;
  };
  return { index, chain, add };
}

test('each camera stream has its own chain; a range gives its links, one either side and they check out', () => {
  const { chain, add, index } = setup();
  for (let i = 0; i < 10; i++) {
    add('c1', i);
    add('c2', i);
  }
  const links = chain.range('c1', 0, 3000, 6000);
  assert.deepEqual(
    links.map((l) => l.body.seq),
    [3, 4, 5, 6, 7],
    'segments 3–5 (seq 4–6) and one link either side',
  );
  assert.ok(links.every((l) => l.body.camera === 'c1' && l.body.server === 's1'));
  assert.deepEqual(checkChain(links, keys.publicKey, 'c1').problems, []);
  assert.deepEqual(chain.range('c1', 0, 50_000, 60_000), [], 'nothing recorded there');
  index.close();
});

test("retention's deletions leave a signed prune mark: the missing links read as retention, not removal", () => {
  const { chain, add, index } = setup();
  const ids = Array.from({ length: 8 }, (_, i) => add('c1', i));
  const prunes = chain.recordRetention([ids[0], ids[1], ids[2], 999]);
  assert.equal(prunes.length, 1);
  assert.equal(prunes[0].body.upToSeq, 3);
  add('c1', 8);
  const links = chain.range('c1', 0, 0, 20_000);
  assert.deepEqual(
    links.map((l) => [l.body.seq, l.body.kind]),
    [
      [4, 'segment'],
      [5, 'segment'],
      [6, 'segment'],
      [7, 'segment'],
      [8, 'segment'],
      [9, 'prune'],
      [10, 'segment'],
    ],
  );
  const f = checkChain(links, keys.publicKey, 'c1');
  assert.deepEqual(f.problems, []);
  assert.equal(f.prunedUpTo, 3);
  // A link deleted by hand (not by retention) is a removal.
  index.sqlite.prepare('DELETE FROM segment_chain WHERE seq = 6').run();
  assert.match(checkChain(chain.range('c1', 0, 0, 20_000), keys.publicKey, 'c1').problems.join(), /link 6 missing/);
  index.close();
});

test("the chain's newest link is kept when retention deletes its segment, so seqs are never reused", () => {
  const { chain, add, index } = setup();
  const ids = [add('c1', 0), add('c1', 1)];
  chain.recordRetention(ids);
  add('c1', 2);
  const seqs = index.sqlite.prepare<[], { seq: number }>('SELECT seq FROM segment_chain ORDER BY seq').all();
  assert.deepEqual(
    seqs.map((r) => r.seq),
    [2, 3, 4],
  );
  index.close();
});
