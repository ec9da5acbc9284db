/**
 * What a camera recorder is doing. starting: no segment yet since start(); recording: segments
 * arrive; stalled: ffmpeg died or hung, being restarted; offline: no segment for startGraceMs and the
 * camera does not answer RTSP (the camera's problem); failing: the camera answers, and an ffmpeg run
 * started while it did has had startGraceMs without a segment (the server's problem: recording
 * cannot start). A camera that answers while ffmpeg (re)starts is starting: recovery is not failure.
 */
export type CameraState = 'starting' | 'recording' | 'stalled' | 'offline' | 'failing';

/** The bounds health is judged by. */
export interface CameraHealthSettings {
  /** No new segment for this long while a run has recorded → restart it. */
  stallMs: number;
  /** A run's allowance for connecting and probing before its first segment; also how long nothing recorded before the camera is asked whether it answers. */
  startGraceMs: number;
  /** At most this often is the camera asked whether it answers (default 2000). */
  probeEveryMs?: number;
}

/** What a tick asks the recorder to do. */
export interface HealthVerdict {
  /** End the running ffmpeg (the supervisor starts the next run), for this reason; once per run. */
  restart?: string;
  /** Ask the camera whether it answers RTSP and report the answer with probed(). */
  probe?: true;
}

const PROBE_EVERY_MS = 2000;

/**
 * A camera recorder's health, judged by output, not by ffmpeg being alive: a run that lists no
 * valid segment within startGraceMs of its start, or none for stallMs after its latest, is stalled
 * and gets restarted. With nothing recorded for startGraceMs the camera is asked whether it answers,
 * which tells offline from failing; both verdicts hold until a segment arrives. Pure: events and
 * the time come in, the state and what to do go out.
 */
export class CameraHealth {
  private current: CameraState = 'starting';
  private changedAt: number;
  private runs = 0;
  /** When the latest segment arrived, or start() was called: how long nothing has been recorded. */
  private lastProgressAt: number;
  /** When the current run started, and its latest segment arrived. */
  private runStartedAt = 0;
  private runLastSegmentAt: number | undefined;
  /** The current run's restart was asked for already. */
  private restartAsked = false;
  private probing = false;
  private lastProbeAt: number | undefined;
  /** Since when the camera answers probes (the asking time of the first "up" in a row), with nothing recorded. */
  private answeringSince: number | undefined;
  /** The start of the first run since the camera answers: its grace is the chance recording had. */
  private chanceAt: number | undefined;
  private runActive = false;

  constructor(
    private readonly s: CameraHealthSettings,
    now: number,
  ) {
    this.changedAt = now;
    this.lastProgressAt = now;
  }

  /** The current state. */
  get state(): CameraState {
    return this.current;
  }

  /** When the state last changed. */
  get since(): number {
    return this.changedAt;
  }

  /** Runs after the first one, whatever ended the previous run. */
  get restarts(): number {
    return Math.max(0, this.runs - 1);
  }

  /** Recording starts: the time with nothing recorded counts from now. */
  started(now: number): void {
    this.lastProgressAt = now;
  }

  /** An ffmpeg run started: its own grace period begins. */
  runStarted(now: number): void {
    this.runs++;
    this.runStartedAt = now;
    this.runLastSegmentAt = undefined;
    this.restartAsked = false;
    this.runActive = true;
    if (this.answeringSince !== undefined) this.chanceAt ??= now;
  }

  /** A run listed a valid segment: progress, whether or not storage takes it. */
  segment(now: number): void {
    this.runLastSegmentAt = now;
    this.lastProgressAt = now;
    this.answeringSince = undefined;
    this.chanceAt = undefined;
    this.setState('recording', now);
  }

  /** ffmpeg exited on its own (not by close()); the supervisor restarts it. */
  exited(now: number): void {
    this.runActive = false;
    this.markStalled(now);
  }

  /** Judges the time since the latest progress; `running`: whether an ffmpeg run is under way. */
  tick(now: number, running: boolean): HealthVerdict {
    const verdict: HealthVerdict = {};
    if (this.wantsProbe(now)) {
      this.probing = true;
      this.lastProbeAt = now;
      verdict.probe = true;
    }
    if (this.restartAsked || !running) return verdict;
    if (this.runLastSegmentAt === undefined) {
      if (now - this.runStartedAt >= this.s.startGraceMs)
        verdict.restart = `stall: no segment within ${this.s.startGraceMs} ms of start`;
    } else if (now - this.runLastSegmentAt >= this.s.stallMs) {
      verdict.restart = `stall: no segment for ${now - this.runLastSegmentAt} ms`;
    }
    if (verdict.restart) {
      this.restartAsked = true;
      this.markStalled(now);
    }
    return verdict;
  }

  /**
   * The camera's answer to the probe a tick asked for; returns the new state when it changed. A
   * camera that answers is failing only once a run started while it answered has had its whole
   * grace without a segment: until then ffmpeg is (re)starting on a camera that just came back,
   * which is `starting`, not the server's failure (that would count towards recording-failed).
   */
  probed(up: boolean, now: number): CameraState | undefined {
    this.probing = false;
    // A segment came meanwhile: the camera records, whatever the probe found.
    if (this.current === 'recording') return undefined;
    let next: CameraState;
    if (!up) {
      this.answeringSince = undefined;
      this.chanceAt = undefined;
      next = 'offline';
    } else {
      if (this.answeringSince === undefined) {
        this.answeringSince = this.lastProbeAt ?? now;
        // A run under way that started after the question counts; one from before it may have met a dead camera.
        if (this.runActive && this.runStartedAt >= this.answeringSince) this.chanceAt = this.runStartedAt;
      }
      const hadChance = this.chanceAt !== undefined && now - this.chanceAt >= this.s.startGraceMs;
      next = hadChance || this.current === 'failing' ? 'failing' : 'starting';
    }
    return this.setState(next, now) ? next : undefined;
  }

  private wantsProbe(now: number): boolean {
    if (this.current === 'recording' || this.probing || now - this.lastProgressAt < this.s.startGraceMs) return false;
    return this.lastProbeAt === undefined || now - this.lastProbeAt >= (this.s.probeEveryMs ?? PROBE_EVERY_MS);
  }

  /**
   * offline and failing are verdicts about the camera that a restart does not change; nor is a
   * camera that answers while ffmpeg restarts on it stalled: it is starting.
   */
  private markStalled(now: number): void {
    if (this.current === 'offline' || this.current === 'failing') return;
    if (this.current === 'starting' && this.answeringSince !== undefined) return;
    this.setState('stalled', now);
  }

  private setState(state: CameraState, now: number): boolean {
    if (state === this.current) return false;
    this.current = state;
    this.changedAt = now;
    return true;
  }
}
