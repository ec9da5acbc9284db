import { isDiscontinuity, type PlaylistSegment } from './hls.ts';

/** A live segment's place in the stream a player sees. */
export interface LiveNumber {
  /** HLS media sequence number. */
  seq: number;
  /** Discontinuities before this segment (HLS discontinuity sequence). */
  disc: number;
}

interface CameraState {
  byId: Map<number, LiveNumber>;
  top: LiveNumber;
}

/**
 * Gives each live segment of a camera a media sequence number that stays the same on every reload,
 * as HLS requires. Index ids cannot serve (all cameras share them, so a camera's ids skip) and
 * times cannot either (segments are about, not exactly, one second), so numbers are handed out in
 * order and remembered for the segments still in view. A fresh stream starts at its first
 * segment's epoch second, which keeps numbers rising across a restart of the node.
 */
export class LiveSequence {
  private readonly cameras = new Map<string, CameraState>();

  /** Numbers `segments` (a camera's latest, consecutive in its index, oldest first); returns the number of segments[0]. */
  number(cameraId: string, segments: (PlaylistSegment & { id: number })[]): LiveNumber {
    if (!segments.length) return { seq: 0, disc: 0 };
    const state = this.cameras.get(cameraId);
    const k = state ? segments.findIndex((s) => state.byId.has(s.id)) : -1;
    let first: LiveNumber;
    if (state && k >= 0) {
      // Walk back from the first segment already numbered.
      let { seq, disc } = state.byId.get(segments[k].id)!;
      for (let i = k; i > 0; i--) {
        seq--;
        if (isDiscontinuity(segments[i - 1], segments[i])) disc--;
      }
      first = { seq, disc: Math.max(0, disc) };
    } else if (state) {
      // Nothing in view was numbered: the player missed what came between, which is a discontinuity.
      first = { seq: Math.max(state.top.seq + 1, Math.floor(segments[0].startMs / 1000)), disc: state.top.disc + 1 };
    } else {
      first = { seq: Math.floor(segments[0].startMs / 1000), disc: 0 };
    }
    const byId = new Map<number, LiveNumber>();
    let cur = first;
    segments.forEach((s, i) => {
      if (i > 0) cur = { seq: cur.seq + 1, disc: cur.disc + (isDiscontinuity(segments[i - 1], s) ? 1 : 0) };
      byId.set(s.id, cur);
    });
    const top = state && state.top.seq > cur.seq ? state.top : cur;
    // Only what is in view is kept: the window only moves forward.
    this.cameras.set(cameraId, { byId, top });
    return first;
  }
}
