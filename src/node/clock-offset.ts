/**
 * One status round trip, NTP style: the node's wall clock when it sent the status, the master's
 * clock when the status arrived, how long the master held it before answering, and the whole round
 * trip as the node's monotonic clock measured it (so a step of the wall clock mid-trip does not
 * count as network time).
 */
export interface ClockSample {
  sentAtMs: number;
  masterTimeMs: number;
  masterHeldMs: number;
  rttMs: number;
}

/** A clock offset (node clock − master clock) and the network round trip of the samples it rests on. */
export interface OffsetEstimate {
  offsetMs: number;
  rttMs: number;
}

/** How the estimator weighs its samples (defaults: OFFSET_DEFAULTS). */
export interface OffsetOptions {
  /** Recent samples kept. */
  window: number;
  /** At most this many of the lowest-RTT samples are averaged. */
  best: number;
  /** Slack beyond the samples' own error bounds before two figures count as different (timer granularity, scheduling). */
  toleranceMs: number;
  /** Consecutive samples that must agree on a new offset before a step of either clock is believed. */
  stepConfirm: number;
  /** The published offset moves only when the estimate moves further than this, so segment seams do not jitter. */
  steadyMs: number;
}

/** Sixteen samples are 8 s at the default status interval: drift over that is far below a millisecond. */
export const OFFSET_DEFAULTS: OffsetOptions = { window: 16, best: 4, toleranceMs: 25, stepConfirm: 2, steadyMs: 5 };

/** What one sample says: the offset at its midpoint and the network part of its round trip (its error is at most half of it). */
export function sampleOffset(s: ClockSample): OffsetEstimate {
  const rttMs = Math.max(0, s.rttMs - Math.max(0, s.masterHeldMs));
  // The master's clock at the trip's midpoint is masterTimeMs + held/2; the node's is sentAt + rtt/2.
  return { offsetMs: s.sentAtMs + s.rttMs / 2 - (s.masterTimeMs + Math.max(0, s.masterHeldMs) / 2), rttMs };
}

/**
 * Estimates a node clock's offset from the master's from status round trips. The true offset lies
 * within ±rtt/2 of each sample's figure (whatever the asymmetry of the path), so the lowest-RTT
 * samples of the recent window are the ones to trust: a slow sample (a congested link, a busy
 * master) is outvoted, not averaged in. A sample that contradicts the estimate beyond both error
 * bounds means a clock stepped (NTP, an operator): once `stepConfirm` samples in a row agree on the
 * new figure, the window starts again from them; one lone contradiction is ignored. Pure.
 */
export class OffsetEstimator {
  private samples: OffsetEstimate[] = [];
  private pending: OffsetEstimate[] = [];
  private published: OffsetEstimate | undefined;
  private readonly o: OffsetOptions;

  constructor(o: Partial<OffsetOptions> = {}) {
    this.o = { ...OFFSET_DEFAULTS, ...o };
  }

  /** Takes one round trip; non-finite figures are ignored. */
  add(sample: ClockSample): void {
    if (![sample.sentAtMs, sample.masterTimeMs, sample.masterHeldMs, sample.rttMs].every(Number.isFinite)) return;
    const s = sampleOffset(sample);
    const current = this.best();
    if (current && !agree(s, current, this.o.toleranceMs)) {
      this.pending = this.pending.length && agree(s, this.pending[0], this.o.toleranceMs) ? [...this.pending, s] : [s];
      if (this.pending.length < this.o.stepConfirm) return;
      this.samples = this.pending;
      this.pending = [];
      this.published = undefined;
    } else {
      this.pending = [];
      this.samples.push(s);
      if (this.samples.length > this.o.window) this.samples.shift();
    }
    const next = this.best();
    if (next && (!this.published || Math.abs(next.offsetMs - this.published.offsetMs) > this.o.steadyMs))
      this.published = next;
    else if (next && this.published) this.published = { offsetMs: this.published.offsetMs, rttMs: next.rttMs };
  }

  /** The offset to use (it moves in steps beyond steadyMs only), or undefined before any sample. */
  estimate(): OffsetEstimate | undefined {
    return this.published && { offsetMs: Math.round(this.published.offsetMs), rttMs: Math.round(this.published.rttMs) };
  }

  /** The mean offset of the lowest-RTT samples (those within twice the lowest RTT, at most `best`, the newest of equals). */
  private best(): OffsetEstimate | undefined {
    if (!this.samples.length) return undefined;
    // Newest first among equals (a stable sort of the reversed window): the clocks drift.
    const sorted = [...this.samples].reverse().sort((a, b) => a.rttMs - b.rttMs);
    const minRtt = sorted[0].rttMs;
    const chosen = sorted.filter((s) => s.rttMs <= 2 * minRtt + 2).slice(0, this.o.best);
    return { offsetMs: chosen.reduce((t, s) => t + s.offsetMs, 0) / chosen.length, rttMs: minRtt };
  }
}

/** Whether two figures can be the same offset, each within ±rtt/2 of the truth. */
function agree(a: OffsetEstimate, b: OffsetEstimate, toleranceMs: number): boolean {
  return Math.abs(a.offsetMs - b.offsetMs) <= a.rttMs / 2 + b.rttMs / 2 + toleranceMs;
}
