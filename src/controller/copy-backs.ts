import type { Store } from '../store/store.ts';
import type { Logger } from '../lib/log.ts';
import type { Assignment } from '../protocol/assignment.ts';
import type { NodeStatus } from '../protocol/status.ts';
import type { CopyBackJob, FailoverDetail, FailoverEntry } from '../store/failover-log.ts';
import { copyBackJobs } from './copy-back-jobs.ts';

/** The store operations copy-back tracking uses. */
export type CopyBackStore = Pick<Store, 'failover' | 'updateFailover' | 'removeRecordings' | 'recordings'>;

/** What copy-back tracking needs of the controller. */
export interface CopyBackParent {
  /** Where a source server's API listens, while it runs and has said so (else it is not handed out). */
  sourceUrl(server: string): string | undefined;
  /** The in-memory detail of an open log entry, kept equal to what is written. */
  openDetail(logId: number): FailoverDetail | undefined;
  /** Whether the configuration still has this server. */
  hasServer(id: string): boolean;
}

const finished = (j: CopyBackJob) => j.state === 'done' || j.state === 'failed';

/**
 * Copy-back tracking: the jobs of footage recorded elsewhere during a failover, to be copied to its
 * home server after a failback. The home server is given the jobs and reports their progress; a
 * job done means the footage is home, verified and released at its source. Each job is also kept
 * in its failback's log entry, which is how the jobs survive a master restart.
 */
export class CopyBacks {
  /** Jobs not finished yet, by id. */
  private readonly jobs = new Map<string, CopyBackJob>();

  constructor(
    private readonly parent: CopyBackParent,
    private readonly store: CopyBackStore,
    private readonly log: Logger,
  ) {}

  /** Takes up the unfinished jobs of a log entry read at start. */
  restore(entry: FailoverEntry): void {
    for (const j of entry.detail.copyBack ?? []) if (!finished(j)) this.jobs.set(j.id, j);
  }

  /** Jobs, unfinished first, for the API. */
  list(): CopyBackJob[] {
    return [...this.jobs.values()];
  }

  /** Plans the jobs of a camera that came home at `now` (one per stream and other server); returns them. */
  async plan(logId: number, camera: string, home: string, streams: number, now: number): Promise<CopyBackJob[]> {
    const intervals = await Promise.all(
      Array.from({ length: streams }, (_, n) => this.store.recordings(camera, 0, now + 86_400_000, n)),
    );
    const jobs = copyBackJobs(logId, camera, home, intervals, now);
    for (const j of jobs) this.jobs.set(j.id, j);
    if (jobs.length)
      this.log.info(
        { camera, jobs: jobs.map((j) => j.id) },
        'copy-back planned: footage recorded elsewhere comes home',
      );
    return jobs;
  }

  /** Pending jobs that are due and whose source runs start; true when any did (their home must be told). */
  startDue(now: number): boolean {
    const due = [...this.jobs.values()].filter(
      (j) => j.state === 'pending' && j.notBefore <= now && this.parent.sourceUrl(j.source) !== undefined,
    );
    for (const j of due) j.state = 'running';
    return due.length > 0;
  }

  /** The jobs a home server is given: unfinished, due, and with a source that runs. */
  forHome(serverId: string, now: number): NonNullable<Assignment['copyBack']> {
    const out: NonNullable<Assignment['copyBack']> = [];
    for (const j of this.jobs.values()) {
      const url = this.parent.sourceUrl(j.source);
      if (j.home !== serverId || finished(j) || j.notBefore > now || url === undefined) continue;
      out.push({
        id: j.id,
        camera: j.camera,
        stream: j.stream,
        source: { server: j.source, url },
        fromMs: j.fromMs,
        toMs: j.toMs,
      });
    }
    return out;
  }

  /**
   * The unfinished jobs that copy footage away from a source server, for its assignment: the
   * source lets only a job's home release (delete) its segments of the job. Pending ones are in
   * already, so the source knows a job before its home is handed it.
   */
  forSource(serverId: string): NonNullable<Assignment['copySources']> {
    return [...this.jobs.values()]
      .filter((j) => j.source === serverId && !finished(j))
      .map((j) => ({ job: j.id, home: j.home, camera: j.camera, stream: j.stream, fromMs: j.fromMs, toMs: j.toMs }));
  }

  /** Progress reported by a home server; a finished job's source intervals are forgotten. */
  async progress(serverId: string, reported: NonNullable<NodeStatus['copyBack']>): Promise<void> {
    const touched = new Set<number>();
    for (const r of reported) {
      const j = this.jobs.get(r.id);
      if (!j || j.home !== serverId) continue;
      const { segments, segmentsDone, bytes, bytesDone, percent, rateBytesPerSec, etaMs } = r;
      const before = JSON.stringify([j.state, j.progress]);
      j.progress = { segments, segmentsDone, bytes, bytesDone, percent, rateBytesPerSec, etaMs };
      if (r.state === 'done') {
        j.state = 'done';
        // The footage is home, verified, and released at the source: playback finds it at home now.
        await this.store.removeRecordings(j.camera, j.source, j.fromMs, j.toMs, j.stream);
        this.log.info({ job: j.id, bytes: r.bytesDone, segments: r.segmentsDone }, 'copy-back done');
      } else if (r.state === 'failed') {
        j.state = 'failed';
        j.error = r.error;
        this.log.error({ job: j.id, error: r.error }, 'copy-back failed; the footage stays where it is');
      } else j.state = 'running';
      if (JSON.stringify([j.state, j.progress]) !== before) touched.add(j.logId);
    }
    for (const logId of touched) await this.save(logId);
    this.forgetFinished();
  }

  /** Jobs whose home or source left the configuration fail. */
  async configChanged(): Promise<void> {
    for (const j of this.jobs.values())
      if (!this.parent.hasServer(j.source) || !this.parent.hasServer(j.home)) {
        j.state = 'failed';
        j.error = 'its server is no longer in the configuration';
        await this.save(j.logId);
      }
    for (const [id, j] of this.jobs) if (j.state === 'failed') this.jobs.delete(id);
  }

  private forgetFinished(): void {
    for (const [id, j] of this.jobs) if (finished(j)) this.jobs.delete(id);
  }

  /** Writes the jobs of a failback into its log entry (progress included). */
  private async save(logId: number): Promise<void> {
    const row = await this.store.failover(logId);
    if (!row) return;
    const jobs = (row.detail.copyBack ?? []).map((old) => this.jobs.get(old.id) ?? old);
    const open = this.parent.openDetail(logId);
    if (open) open.copyBack = jobs;
    await this.store.updateFailover(logId, row.status, { ...row.detail, copyBack: jobs });
  }
}
