import { test } from 'node:test';
import assert from 'node:assert/strict';
import { CONTINUITY_MS, livePlaylist, vodPlaylist, type PlaylistSegment } from './hls.ts';

const T0 = Date.UTC(2025, 0, 1, 12, 0, 0);
const seg = (n: number, startMs: number, endMs: number, source = 's1'): PlaylistSegment => ({
  uri: `/seg/${n}.ts`,
  startMs: T0 + startMs,
  endMs: T0 + endMs,
  source,
});
const pdt = (ms: number) => `#EXT-X-PROGRAM-DATE-TIME:${new Date(T0 + ms).toISOString()}`;

test('a VOD playlist: header, date-time and 3-decimal EXTINF per segment, ENDLIST', () => {
  assert.equal(
    vodPlaylist([seg(1, 0, 1000), seg(2, 1000, 2040)]),
    [
      '#EXTM3U',
      '#EXT-X-VERSION:3',
      '#EXT-X-TARGETDURATION:2',
      '#EXT-X-MEDIA-SEQUENCE:0',
      '#EXT-X-PLAYLIST-TYPE:VOD',
      pdt(0),
      '#EXTINF:1.000,',
      '/seg/1.ts',
      pdt(1000),
      '#EXTINF:1.040,',
      '/seg/2.ts',
      '#EXT-X-ENDLIST',
      '',
    ].join('\n'),
  );
});

const discontinuityCases: { name: string; segments: PlaylistSegment[]; before: number[] }[] = [
  { name: 'abutting segments of one server play on', segments: [seg(1, 0, 1000), seg(2, 1000, 2000)], before: [] },
  {
    name: 'a hole of CONTINUITY_MS is jitter, not a hole',
    segments: [seg(1, 0, 1000), seg(2, 1000 + CONTINUITY_MS, 2000)],
    before: [],
  },
  {
    name: 'a hole 1 ms longer is a discontinuity',
    segments: [seg(1, 0, 1000), seg(2, 1001 + CONTINUITY_MS, 2000)],
    before: [2],
  },
  {
    name: 'a hole of seconds (a failover) is a discontinuity',
    segments: [seg(1, 0, 1000), seg(2, 4000, 5000)],
    before: [2],
  },
  {
    name: 'another server is a discontinuity even without a hole',
    segments: [seg(1, 0, 1000), seg(2, 1000, 2000, 's3')],
    before: [2],
  },
  {
    name: 'footage going back in time is a discontinuity',
    segments: [seg(1, 0, 1000), seg(2, 999 - CONTINUITY_MS, 2000)],
    before: [2],
  },
  {
    name: 'several',
    segments: [seg(1, 0, 1000), seg(2, 3000, 4000), seg(3, 4000, 5000), seg(4, 5000, 6000, 's2')],
    before: [2, 4],
  },
];
for (const c of discontinuityCases)
  test(`discontinuity: ${c.name}`, () => {
    const lines = vodPlaylist(c.segments).split('\n');
    const got = lines.flatMap((l, i) =>
      l === '#EXT-X-DISCONTINUITY' ? [Number(/\/seg\/(\d+)/.exec(lines[i + 3])![1])] : [],
    );
    assert.deepEqual(got, c.before);
  });

test('the target duration is the ceiling of the longest segment', () => {
  const target = (s: PlaylistSegment[]) => /#EXT-X-TARGETDURATION:(\d+)/.exec(vodPlaylist(s))![1];
  assert.equal(target([seg(1, 0, 1000)]), '1');
  assert.equal(target([seg(1, 0, 1001), seg(2, 1001, 2000)]), '2');
  assert.equal(target([seg(1, 0, 4500)]), '5');
});

test('nothing recorded is a valid empty VOD playlist', () => {
  assert.equal(
    vodPlaylist([]),
    [
      '#EXTM3U',
      '#EXT-X-VERSION:3',
      '#EXT-X-TARGETDURATION:1',
      '#EXT-X-MEDIA-SEQUENCE:0',
      '#EXT-X-PLAYLIST-TYPE:VOD',
      '#EXT-X-ENDLIST',
      '',
    ].join('\n'),
  );
});

test('a live playlist shows the last segments, numbered from the given sequence, without ENDLIST', () => {
  const segments = Array.from({ length: 8 }, (_, i) => seg(i, i * 1000, (i + 1) * 1000));
  const text = livePlaylist(segments, 100, { window: 3 });
  assert.equal(
    text,
    [
      '#EXTM3U',
      '#EXT-X-VERSION:3',
      '#EXT-X-TARGETDURATION:1',
      '#EXT-X-MEDIA-SEQUENCE:105',
      pdt(5000),
      '#EXTINF:1.000,',
      '/seg/5.ts',
      pdt(6000),
      '#EXTINF:1.000,',
      '/seg/6.ts',
      pdt(7000),
      '#EXTINF:1.000,',
      '/seg/7.ts',
      '',
    ].join('\n'),
  );
  assert.ok(!text.includes('ENDLIST') && !text.includes('PLAYLIST-TYPE'));
  assert.match(
    livePlaylist(segments.slice(0, 2), 7),
    /MEDIA-SEQUENCE:7\n/,
    'fewer segments than the window: all shown',
  );
});

test('a live playlist counts the discontinuities that slid out of its window', () => {
  const segments = [seg(0, 0, 1000), seg(1, 3000, 4000), seg(2, 4000, 5000), seg(3, 8000, 9000), seg(4, 9000, 10_000)];
  const text = livePlaylist(segments, 0, { window: 3, discontinuitySequence: 4 });
  assert.match(text, /#EXT-X-MEDIA-SEQUENCE:2\n#EXT-X-DISCONTINUITY-SEQUENCE:5\n/);
  assert.equal(
    text.split('\n').filter((l) => l === '#EXT-X-DISCONTINUITY').length,
    1,
    'the one inside the window stays a tag',
  );
  assert.ok(!livePlaylist(segments.slice(3), 0).includes('DISCONTINUITY'), 'no discontinuity, no sequence tag');
});
