import { JITTER_MS } from '../lib/continuity.ts';
/** One media segment of a playlist. */
export interface PlaylistSegment {
  uri: string;
  /** Wall-clock start and end, epoch ms. */
  startMs: number;
  endMs: number;
  /** Who recorded it (a server id): a change of source is a change of timestamps, so a discontinuity. */
  source?: string;
}

/**
 * Two segments closer than this play as one stream. The same tolerance as the store's merge of
 * recordings, so a playlist is continuous exactly where the master's timeline is.
 */
export const CONTINUITY_MS = JITTER_MS;

/** Segments a live playlist shows by default: ~6 s at 1 s segments, three times the target duration as HLS asks. */
export const LIVE_WINDOW = 6;

/**
 * Whether `next` cannot follow `prev` seamlessly: it starts more than CONTINUITY_MS away from
 * prev's end (a hole, or footage going back in time) or was recorded by another server.
 */
export function isDiscontinuity(prev: PlaylistSegment, next: PlaylistSegment): boolean {
  return Math.abs(next.startMs - prev.endMs) > CONTINUITY_MS || prev.source !== next.source;
}

/** An HLS v3 VOD playlist over `segments` (in play order), with a discontinuity at every hole or change of server. */
export function vodPlaylist(segments: PlaylistSegment[]): string {
  return [...header(segments, 0), '#EXT-X-PLAYLIST-TYPE:VOD', ...body(segments), '#EXT-X-ENDLIST', ''].join('\n');
}

/** Options of a live playlist. */
export interface LiveOptions {
  /** How many of the last segments to show (default LIVE_WINDOW). */
  window?: number;
  /** Discontinuities before `segments[0]` since the stream began (the client counts them across reloads). */
  discontinuitySequence?: number;
}

/**
 * An HLS v3 live playlist: a sliding window over the last segments, no ENDLIST so the player keeps
 * reloading it. `mediaSequence` numbers `segments[0]`; the caller keeps it stable across reloads
 * (each segment keeps its number), which is what lets a player find where it left off.
 */
export function livePlaylist(segments: PlaylistSegment[], mediaSequence: number, o: LiveOptions = {}): string {
  const size = Math.max(1, o.window ?? LIVE_WINDOW);
  const dropped = Math.max(0, segments.length - size);
  let disc = o.discontinuitySequence ?? 0;
  // Discontinuities that slid out of the window still count, or the player would misnumber the rest.
  for (let i = 1; i <= dropped; i++) if (isDiscontinuity(segments[i - 1], segments[i])) disc++;
  const shown = segments.slice(dropped);
  const lines = header(shown, mediaSequence + dropped);
  if (disc) lines.push(`#EXT-X-DISCONTINUITY-SEQUENCE:${disc}`);
  return [...lines, ...body(shown), ''].join('\n');
}

function header(segments: PlaylistSegment[], mediaSequence: number): string[] {
  // Each EXTINF rounded to the nearest integer must not exceed the target; ceil of the longest is
  // always enough. An empty playlist still needs a positive value to be valid.
  const longest = Math.max(0, ...segments.map(seconds));
  return [
    '#EXTM3U',
    '#EXT-X-VERSION:3',
    `#EXT-X-TARGETDURATION:${Math.max(1, Math.ceil(longest))}`,
    `#EXT-X-MEDIA-SEQUENCE:${mediaSequence}`,
  ];
}

function body(segments: PlaylistSegment[]): string[] {
  const lines: string[] = [];
  segments.forEach((s, i) => {
    if (i > 0 && isDiscontinuity(segments[i - 1], s)) lines.push('#EXT-X-DISCONTINUITY');
    lines.push(
      `#EXT-X-PROGRAM-DATE-TIME:${new Date(s.startMs).toISOString()}`,
      `#EXTINF:${seconds(s).toFixed(3)},`,
      s.uri,
    );
  });
  return lines;
}

function seconds(s: PlaylistSegment): number {
  return Math.max(0, s.endMs - s.startMs) / 1000;
}
