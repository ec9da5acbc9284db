/**
 * Segments whose times are this close are one continuous recording: their times are wall-clock
 * arrival stamps, and under load a frame can arrive tens of ms late (54 ms seen in CI at 15 fps),
 * which opens a "gap" between one segment's listed end and the next one's start where no video was
 * lost. The one tolerance behind the store's recorded intervals (the timeline's holes), playback's
 * choice of segments and the playlists' discontinuities, so all three agree.
 */
export const JITTER_MS = 150;
