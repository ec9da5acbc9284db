import { test } from 'node:test';
import assert from 'node:assert/strict';
import { concatList, exportArgs } from './export-args.ts';

test('export: concat demuxer, copy video and any audio, faststart MP4', () => {
  assert.deepEqual(exportArgs('/tmp/x/list.txt', '/tmp/x/out.mp4'), [
    '-hide_banner', '-nostdin', '-nostats', '-loglevel', 'error',
    '-f', 'concat', '-i', '/tmp/x/list.txt',
    '-map', '0:v', '-map', '0:a?', '-c', 'copy',
    '-movflags', '+faststart', '-f', 'mp4', '-y', '/tmp/x/out.mp4',
  ]);
});

test('concat list: one quoted relative name a line, quotes escaped', () => {
  assert.equal(concatList(['000001.ts', "it's.ts"]), "ffconcat version 1.0\nfile '000001.ts'\nfile 'it'\\''s.ts'\n");
  assert.throws(() => concatList(['/etc/passwd']));
  assert.throws(() => concatList(['../x.ts']));
});
