import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { appendFileSync, mkdtempSync, rmSync, truncateSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { manifestBox, readEmbeddedManifest, sha256Prefix, topBoxes } from './mp4-manifest-box.ts';

const dir = mkdtempSync(join(tmpdir(), 'vigil-box-'));
after(() => rmSync(dir, { recursive: true, force: true }));

/** A box: 32-bit size, type, payload. */
const box = (type: string, payload: Buffer) => {
  const h = Buffer.alloc(8);
  h.writeUInt32BE(8 + payload.length, 0);
  h.write(type, 4, 'latin1');
  return Buffer.concat([h, payload]);
};
const mp4 = Buffer.concat([
  box('ftyp', Buffer.from('isom0000')),
  box('mdat', Buffer.alloc(5000, 7)),
  box('moov', Buffer.alloc(300, 1)),
]);

test('the manifest box is the last top-level box; the hash covers the MP4 before it', async () => {
  const f = join(dir, 'a.mp4');
  writeFileSync(f, mp4);
  appendFileSync(f, manifestBox('{"é":1}'));
  const { boxes, problem } = await topBoxes(f);
  assert.equal(problem, undefined);
  assert.deepEqual(
    boxes.map((b) => b.type),
    ['ftyp', 'mdat', 'moov', 'uuid'],
  );
  const m = await readEmbeddedManifest(f);
  assert.deepEqual(m, { json: '{"é":1}', offset: mp4.length });
  assert.deepEqual(await sha256Prefix(f, m?.offset), {
    sha256: createHash('sha256').update(mp4).digest('hex'),
    bytes: mp4.length,
  });
});

test('a file cut short has no manifest, and its box structure says where it breaks', async () => {
  const f = join(dir, 'b.mp4');
  writeFileSync(f, mp4);
  appendFileSync(f, manifestBox('{}'));
  truncateSync(f, mp4.length + 33);
  assert.equal(await readEmbeddedManifest(f), undefined);
  assert.match((await topBoxes(f)).problem ?? '', /'uuid' at byte 5332 runs past the end/);
  truncateSync(f, mp4.length + 10);
  assert.match((await topBoxes(f)).problem ?? '', /header at byte 5332 is cut short/);
  const g = join(dir, 'c.mp4');
  writeFileSync(g, mp4.subarray(0, 3000));
  assert.equal(await readEmbeddedManifest(g), undefined);
  assert.match((await topBoxes(g)).problem ?? '', /'mdat'.*cut short/);
});
