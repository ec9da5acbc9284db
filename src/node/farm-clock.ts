import { performance } from 'node:perf_hooks';
import { systemClock, type Clock } from '../lib/clock.ts';
import type { NodeClock } from '../protocol/status.ts';
import type { StatusReply } from '../protocol/node-channel.ts';
import { OffsetEstimator, type ClockSample, type OffsetEstimate, type OffsetOptions } from './clock-offset.ts';

/**
 * Farm time is the master's clock. A recording server converts its own clock's readings with this
 * port, so footage from a server whose clock is off is still placed where it happened.
 */
export interface FarmClock {
  /** Farm time now (ms). */
  now(): number;
  /** A reading of this server's wall clock (ms) in farm time; unchanged while no offset is known. */
  toFarm(nodeMs: number): number;
  /** This server's clock − the master's (ms); undefined before the first round trip. */
  offsetMs(): number | undefined;
}

/** Farm time is this clock: a server that knows no better (tests, the master itself). */
export const identityFarmClock: FarmClock = {
  now: () => Date.now(),
  toFarm: (ms) => ms,
  offsetMs: () => undefined,
};

/**
 * The recording server's FarmClock, fed by its status round trips (the master answers each status
 * with its own time): OffsetEstimator decides, this only holds it and converts.
 */
export class StatusFarmClock implements FarmClock {
  private readonly estimator: OffsetEstimator;
  private current: OffsetEstimate | undefined;

  constructor(
    private readonly wall: Clock = systemClock,
    /** Never steps: the round trip is measured on it. */
    private readonly monotonic: Clock = performance,
    options: Partial<OffsetOptions> = {},
  ) {
    this.estimator = new OffsetEstimator(options);
  }

  /**
   * Starts timing one status: `clock` goes into it (its send time, the offset so far), `answered`
   * takes the master's answer. An answer without the master's clock (an older master) teaches nothing.
   */
  roundTrip(): { clock: NodeClock; answered(reply: Partial<StatusReply>): void } {
    const sentAtMs = this.wall.now();
    const sentMono = this.monotonic.now();
    const offsetMs = this.offsetMs();
    const rttMs = this.rttMs();
    return {
      clock: { sentAtMs, ...(offsetMs !== undefined && { offsetMs }), ...(rttMs !== undefined && { rttMs }) },
      answered: (reply) => {
        if (reply.masterTimeMs === undefined) return;
        this.record({
          sentAtMs,
          masterTimeMs: reply.masterTimeMs,
          masterHeldMs: reply.masterHeldMs ?? 0,
          rttMs: this.monotonic.now() - sentMono,
        });
      },
    };
  }

  /** One status round trip (see ClockSample). */
  record(sample: ClockSample): void {
    this.estimator.add(sample);
    this.current = this.estimator.estimate();
  }

  now(): number {
    return this.toFarm(this.wall.now());
  }

  toFarm(nodeMs: number): number {
    return nodeMs - (this.current?.offsetMs ?? 0);
  }

  offsetMs(): number | undefined {
    return this.current?.offsetMs;
  }

  /** The network round trip the offset rests on (its error is at most half of it). */
  rttMs(): number | undefined {
    return this.current?.rttMs;
  }
}
