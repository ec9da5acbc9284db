import { test } from 'node:test';
import assert from 'node:assert/strict';
import { CameraHealth, type CameraState } from './camera-health.ts';

/**
 * One event at a fake clock time: start() was called, a run started, a valid segment arrived,
 * ffmpeg exited, the watchdog ticked with ffmpeg running ('tick') or between runs ('tick-idle'),
 * or the camera answered a probe ('up') or did not ('down').
 */
type Step = [at: number, event: 'start' | 'run' | 'segment' | 'exit' | 'tick' | 'tick-idle' | 'up' | 'down'];

interface Case {
  name: string;
  steps: Step[];
  /** The final state, and optionally when it began and how many restarts were counted. */
  state: CameraState;
  since?: number;
  restarts?: number;
  /** What the ticks asked for, in order: `probe`, or `restart: <reason>`. */
  asks?: string[];
  /** The states probe answers moved to, in order. */
  changes?: CameraState[];
}

const stallMs = 6000;
const startGraceMs = 10_000;
const started: Step[] = [
  [0, 'start'],
  [0, 'run'],
];

function run(c: Case): void {
  const h = new CameraHealth({ stallMs, startGraceMs }, 0);
  const asks: string[] = [];
  const changes: CameraState[] = [];
  for (const [at, event] of c.steps) {
    if (event === 'start') h.started(at);
    else if (event === 'run') h.runStarted(at);
    else if (event === 'segment') h.segment(at);
    else if (event === 'exit') h.exited(at);
    else if (event === 'up' || event === 'down') {
      const next = h.probed(event === 'up', at);
      if (next) changes.push(next);
    } else {
      const v = h.tick(at, event === 'tick');
      if (v.probe) asks.push('probe');
      if (v.restart) asks.push(`restart: ${v.restart}`);
    }
  }
  assert.equal(h.state, c.state);
  if (c.since !== undefined) assert.equal(h.since, c.since);
  if (c.restarts !== undefined) assert.equal(h.restarts, c.restarts);
  assert.deepEqual(asks, c.asks ?? []);
  assert.deepEqual(changes, c.changes ?? []);
}

const cases: Case[] = [
  {
    name: 'a recorder is starting until its first segment, and nothing is asked within the grace period',
    steps: [...started, [9999, 'tick']],
    state: 'starting',
    since: 0,
    restarts: 0,
  },
  {
    name: 'the first valid segment makes it recording',
    steps: [...started, [1200, 'segment'], [1300, 'tick']],
    state: 'recording',
    since: 1200,
  },
  {
    name: 'no segment within startGraceMs of the run start: restart, stalled, and the camera is probed',
    steps: [...started, [10_000, 'tick']],
    state: 'stalled',
    since: 10_000,
    asks: ['probe', 'restart: stall: no segment within 10000 ms of start'],
  },
  {
    name: 'no segment for stallMs while recording: restart with the silence in the reason',
    steps: [...started, [1000, 'segment'], [6999, 'tick'], [7000, 'tick']],
    state: 'stalled',
    since: 7000,
    asks: ['restart: stall: no segment for 6000 ms'],
  },
  {
    name: 'a run is restarted once; the next run gets a grace period of its own',
    steps: [
      ...started,
      [1000, 'segment'],
      [7000, 'tick'],
      [7500, 'tick'],
      [8000, 'run'],
      [17_999, 'tick'],
      [18_000, 'tick'],
    ],
    state: 'stalled',
    restarts: 1,
    // 10 s after the latest segment the camera is probed too (its answer is still out at 18 000).
    asks: ['restart: stall: no segment for 6000 ms', 'probe', 'restart: stall: no segment within 10000 ms of start'],
  },
  {
    name: 'a restarted run that records is recording again',
    steps: [...started, [1000, 'segment'], [7000, 'tick'], [7600, 'run'], [9000, 'segment'], [20_000, 'run']],
    state: 'recording',
    since: 9000,
    restarts: 2,
    asks: ['restart: stall: no segment for 6000 ms'],
  },
  {
    name: 'between runs (ffmpeg exited, its restart pending) no restart is asked',
    steps: [...started, [1000, 'segment'], [2000, 'exit'], [9000, 'tick-idle']],
    state: 'stalled',
    since: 2000,
  },
  {
    name: 'an exit while recording is a stall',
    steps: [...started, [1000, 'segment'], [3000, 'exit']],
    state: 'stalled',
    since: 3000,
  },
  {
    name: 'nothing recorded for startGraceMs and a camera that does not answer: offline',
    steps: [...started, [10_000, 'tick-idle'], [10_050, 'down']],
    state: 'offline',
    since: 10_050,
    asks: ['probe'],
    changes: ['offline'],
  },
  {
    name: 'nothing recorded for startGraceMs and a camera that answers: starting, since no run has had its grace while it answered',
    steps: [...started, [10_000, 'tick-idle'], [10_050, 'up']],
    state: 'starting',
    since: 0,
    asks: ['probe'],
  },
  {
    name: 'failing once a run started while the camera answers has had its whole grace without a segment',
    steps: [
      ...started,
      [10_000, 'tick-idle'],
      [10_050, 'up'],
      [10_600, 'run'],
      [20_599, 'tick-idle'],
      [20_610, 'up'],
      [22_599, 'tick-idle'],
      [22_610, 'up'],
    ],
    state: 'failing',
    since: 20_610,
    asks: ['probe', 'probe', 'probe'],
    changes: ['failing'],
  },
  {
    name: 'ffmpeg exiting at once on a camera that answers (a crash loop) is failing after the grace of the first run',
    steps: [
      ...started,
      [10_000, 'tick-idle'],
      [10_010, 'up'],
      [10_500, 'run'],
      [10_600, 'exit'],
      [11_500, 'run'],
      [11_600, 'exit'],
      [20_000, 'tick-idle'],
      [20_010, 'up'],
      [22_000, 'tick-idle'],
      [22_010, 'up'],
    ],
    state: 'failing',
    since: 22_010,
    restarts: 2,
    asks: ['probe', 'probe', 'probe'],
    changes: ['failing'],
  },
  {
    name: 'a camera coming back: offline, then starting while ffmpeg starts on it, then recording; never failing',
    steps: [
      ...started,
      [1000, 'segment'],
      [2000, 'exit'],
      [11_000, 'tick-idle'],
      [11_010, 'down'],
      [13_000, 'tick-idle'],
      [13_010, 'up'],
      [13_500, 'run'],
      [15_000, 'tick-idle'],
      [15_010, 'up'],
      [16_500, 'segment'],
    ],
    state: 'recording',
    since: 16_500,
    asks: ['probe', 'probe', 'probe'],
    changes: ['offline', 'starting'],
  },
  {
    name: 'a run from before the camera answered is no chance: its restart keeps the camera starting',
    steps: [
      ...started,
      [10_000, 'tick-idle'],
      [10_010, 'down'],
      [12_000, 'tick'],
      [12_010, 'up'],
      [12_100, 'exit'],
      [12_600, 'run'],
      [22_000, 'tick'],
      [22_010, 'up'],
    ],
    state: 'starting',
    since: 12_010,
    restarts: 1,
    asks: ['probe', 'probe', 'restart: stall: no segment within 10000 ms of start', 'probe'],
    changes: ['offline', 'starting'],
  },
  {
    name: 'the probe time counts from the latest segment, not from the run start',
    steps: [...started, [5000, 'segment'], [6000, 'exit'], [14_999, 'tick-idle'], [15_000, 'tick-idle']],
    state: 'stalled',
    asks: ['probe'],
  },
  {
    name: 'one probe at a time: none is asked while one is under way',
    steps: [...started, [10_000, 'tick-idle'], [13_000, 'tick-idle'], [13_100, 'down'], [13_200, 'tick-idle']],
    state: 'offline',
    asks: ['probe', 'probe'],
    changes: ['offline'],
  },
  {
    name: 'the camera is asked at most every 2 s',
    steps: [
      ...started,
      [10_000, 'tick-idle'],
      [10_010, 'down'],
      [11_999, 'tick-idle'],
      [12_000, 'tick-idle'],
      [12_010, 'down'],
    ],
    state: 'offline',
    since: 10_010,
    asks: ['probe', 'probe'],
    changes: ['offline'],
  },
  {
    name: 'failing holds across exits and restarts once judged; only a segment ends it',
    steps: [
      ...started,
      [10_000, 'tick'],
      [10_010, 'up'],
      [10_020, 'exit'],
      [10_600, 'run'],
      [20_600, 'tick'],
      [20_610, 'up'],
    ],
    state: 'failing',
    since: 20_610,
    restarts: 1,
    asks: [
      'probe',
      'restart: stall: no segment within 10000 ms of start',
      'probe',
      'restart: stall: no segment within 10000 ms of start',
    ],
    changes: ['starting', 'failing'],
  },
  {
    name: 'a camera that answers after being offline is starting, not failing',
    steps: [...started, [10_000, 'tick-idle'], [10_010, 'down'], [12_000, 'tick-idle'], [12_010, 'up']],
    state: 'starting',
    since: 12_010,
    asks: ['probe', 'probe'],
    changes: ['offline', 'starting'],
  },
  {
    name: 'a segment ends offline',
    steps: [...started, [10_000, 'tick-idle'], [10_010, 'down'], [11_000, 'run'], [12_000, 'segment']],
    state: 'recording',
    since: 12_000,
    asks: ['probe'],
    changes: ['offline'],
  },
  {
    name: 'a probe answer arriving after a segment changes nothing',
    steps: [...started, [10_000, 'tick-idle'], [10_500, 'segment'], [10_600, 'up']],
    state: 'recording',
    since: 10_500,
    asks: ['probe'],
  },
  {
    name: 'no probe while recording',
    steps: [...started, [1000, 'segment'], [12_000, 'tick-idle']],
    state: 'recording',
  },
];

for (const c of cases) test(c.name, () => run(c));
