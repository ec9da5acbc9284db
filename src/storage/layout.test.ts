import { test } from 'node:test';
import assert from 'node:assert/strict';
import { assertSafeId, parseStreamFolder, segmentRelPath, streamFolder, ownSegmentName, writerTag } from './layout.ts';

test('segment path is camera/day/hour/start_node.ts in UTC', () => {
  const t = Date.UTC(2025, 0, 31, 23, 59, 59, 999);
  assert.equal(segmentRelPath('cam-1', t, 'node-a'), `cam-1/2025-01-31/23/${t}_node-a.ts`);
});

test('the hour folder turns over exactly at the hour', () => {
  const t = Date.UTC(2025, 1, 1, 0, 0, 0, 0);
  assert.equal(segmentRelPath('c', t, 'n', 'mp4'), `c/2025-02-01/00/${t}_n.mp4`);
  assert.equal(segmentRelPath('c', t - 1, 'n'), `c/2025-01-31/23/${t - 1}_n.ts`);
});

test('ids that could escape their folder are refused', () => {
  for (const bad of ['', '.', '..', 'a/b', '../x', 'a\\b', 'a\0b', 'x..y']) {
    assert.throws(() => segmentRelPath(bad, 0, 'n'), /unsafe camera id/, `camera ${JSON.stringify(bad)}`);
    assert.throws(() => segmentRelPath('c', 0, bad), /unsafe node id/, `node ${JSON.stringify(bad)}`);
  }
  assert.doesNotThrow(() => assertSafeId('camera', 'front_door.2'));
});

test('a bad start time or extension is refused', () => {
  assert.throws(() => segmentRelPath('c', -1, 'n'));
  assert.throws(() => segmentRelPath('c', 1.5, 'n'));
  assert.throws(() => segmentRelPath('c', Number.NaN, 'n'));
  assert.throws(() => segmentRelPath('c', 0, 'n', '../ts'));
});

test('each stream has its own folder tree; the folder name gives camera and stream back', () => {
  const t = Date.UTC(2025, 0, 31, 23, 0, 0, 0);
  assert.equal(segmentRelPath('cam-1', t, 'n', 'ts', 0), `cam-1/2025-01-31/23/${t}_n.ts`);
  assert.equal(segmentRelPath('cam-1', t, 'n', 'ts', 1), `cam-1~1/2025-01-31/23/${t}_n.ts`);
  assert.deepEqual(parseStreamFolder('cam-1~1'), { cameraId: 'cam-1', stream: 1 });
  assert.deepEqual(parseStreamFolder('cam-1'), { cameraId: 'cam-1', stream: 0 });
  assert.equal(streamFolder('c', 12), 'c~12');
  assert.throws(() => streamFolder('c~1', 0), /~ marks a stream folder/);
  assert.throws(() => streamFolder('c', -1), /bad stream/);
  assert.throws(() => streamFolder('c', 1.5), /bad stream/);
});

test("a copy brought home is named after its recorder and this node; reconcile finds this node's files only", () => {
  assert.equal(writerTag('home'), 'home');
  assert.equal(writerTag('home', 'home'), 'home');
  assert.equal(writerTag('home', 'spare-1'), 'spare-1+home');
  const mine = ownSegmentName('s.1');
  assert.equal(mine.exec('1767225600000_s.1.ts')?.[1], '1767225600000', 'its recording');
  assert.equal(mine.exec('1767225600000_spare-1+s.1.ts')?.[1], '1767225600000', 'its copy');
  for (const other of [
    '1767225600000_s.2.ts',
    '1767225600000_sx1.ts',
    '1767225600000_s.1+spare.ts',
    '1767225600000_s.1.ts.part',
    '1767225600000_a+b+s.1.ts',
  ])
    assert.equal(mine.exec(other), null, other);
});

test('the recorder of a copy brought home is read from its name; a server own file has none', async () => {
  const { recorderOfCopy } = await import('./layout.ts');
  assert.equal(recorderOfCopy('c1/2026-01-01/10/1767261600000_s2+s1.ts'), 's2');
  assert.equal(recorderOfCopy('1767261600000_s2+s1.ts'), 's2');
  assert.equal(recorderOfCopy('c1/2026-01-01/10/1767261600000_s1.ts'), undefined);
});
