import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TestContext } from 'node:test';
import { setTimeout as delay } from 'node:timers/promises';
import { LocalFarm, type LocalFarmOptions } from '../../src/farm/local-farm.ts';
import type { FarmConfigInput } from '../../src/config/farm-config.ts';
import { newFarmKey } from '../../src/lib/farm-key.ts';
import { diskSegments } from './disk-footage.ts';

/** A camera as GET /api/v1/cameras shows it (the fields these tests read). */
export interface CameraView {
  id: string;
  url: string;
  homeServer: string;
  currentServer: string;
  movable: boolean;
  recording: string;
  streams: { url: string; recording: string }[];
  handover: { from: string; to: string; reason: string } | null;
}
/** A recording server as GET /api/v1/servers shows it. */
export interface ServerView {
  id: string;
  group: number;
  role: string;
  state: string;
  cameras: string[];
  recordingFailed: boolean;
  storage: { allFailed: boolean; paths: { path: string; healthy: boolean }[] } | null;
  swappedWith: string | null;
  /** When this master took the server's last status (its clock), null before the first. */
  lastStatusAt: number | null;
}
/** One copy-back job of a failback's log entry. */
export interface CopyJobView {
  id: string;
  camera: string;
  source: string;
  home: string;
  state: string;
  fromMs: number;
  toMs: number;
  progress?: { segments: number; segmentsDone: number };
}
/** An entry of the failover log (GET /api/v1/failovers). */
export interface FailoverView {
  id: number;
  startedAt: number;
  server: string;
  trigger: string;
  status: string;
  detail: {
    planned?: boolean;
    targets?: string[];
    reason?: string;
    moves: { camera: string; from: string; to: string; mode?: string; recordingAt?: number }[];
    unrecorded: string[];
    copyBack?: CopyJobView[];
  };
}
/** A camera's timeline over a range, as the master knows it. */
export interface TimelineView {
  intervals: { startMs: number; endMs: number; servers: string[] }[];
  gaps: { startMs: number; endMs: number; ms: number }[];
  recorded: { server: string; startMs: number; endMs: number }[];
}

/** The time of the first log line whose message starts with `msg`, at or after `since`; undefined if none yet. */
function logLineAt(logFile: string, msg: string, since: number): number | undefined {
  let text: string;
  try {
    text = readFileSync(logFile, 'utf8');
  } catch {
    return undefined;
  }
  for (const line of text.split('\n')) {
    if (!line.includes(`"msg":"${msg}`)) continue;
    try {
      const { time } = JSON.parse(line) as { time: number };
      if (time >= since) return time;
    } catch {
      // a line being written
    }
  }
  return undefined;
}

/**
 * For end-to-end tests: a LocalFarm in its own temp folder, closed and removed after the test
 * whether it passed or not (VIGIL_KEEP_TEST_DIR keeps the folder and its logs), with typed reads
 * of the master's API.
 */
export class FarmUnderTest {
  readonly dir: string;
  readonly farm: LocalFarm;
  /** When each node process was last started: its buddy watch judges nobody for FarmHealthStartDelayMs after. */
  private readonly nodeStarts = new Map<string, number>();

  constructor(
    t: TestContext,
    name: string,
    masterPort: number,
    readonly farmKey = newFarmKey(),
    /** postgres: the master's store on this PostgreSQL server; standbyPorts, lease: further masters (LocalFarmOptions). */
    options: Pick<LocalFarmOptions, 'postgres' | 'standbyPorts' | 'lease'> = {},
  ) {
    this.dir = mkdtempSync(join(tmpdir(), `vigil-e2e-${name}-`));
    this.farm = new LocalFarm({ dir: this.dir, farmKey, masterPort, ...options });
    t.after(async () => {
      await this.farm.close();
      if (process.env.VIGIL_KEEP_TEST_DIR) console.log(`kept ${this.dir}`);
      else rmSync(this.dir, { recursive: true, force: true });
    });
  }

  /**
   * Starts one node per server of `config` (`env`: extra environment by server), then the master
   * once every node has booted and asked for it: a node takes seconds to load on a busy machine,
   * and a master that started first would judge it lost before it could report (FarmHealthStartDelayMs).
   */
  async start(config: FarmConfigInput, env: Record<string, Record<string, string>> = {}): Promise<void> {
    // Join tokens before the master's first start: each node enrolls once the master answers.
    await this.farm.enroll(config.servers.map((s) => s.id));
    for (const s of config.servers) this.startNode(s.id, env[s.id]);
    await this.farm.waitFor(
      () => [...this.nodeStarts].every(([id, at]) => logLineAt(this.logOf(id), 'no master answers', at) !== undefined),
      60_000,
      'every node booted and asking for a master',
    );
    await this.farm.startMaster(config);
  }

  /** Starts (or starts again) one server's node process, with `env` added to its environment. */
  startNode(id: string, env: Record<string, string> = {}): void {
    this.farm.startNode(id, { env });
    this.nodeStarts.set(id, Date.now());
  }

  /**
   * Waits until every node started has watched its buddies for FarmHealthStartDelayMs (counted from
   * its first assignment, when its buddy watch starts: a node takes seconds to boot), so that a
   * failure from now on is judged at once by the buddies' quorum, not later by lost statuses.
   */
  async judging(startDelayMs: number): Promise<void> {
    const watching = new Map<string, number>();
    await this.farm.waitFor(
      () => {
        for (const [id, startedAt] of this.nodeStarts) {
          const at = watching.get(id) ?? logLineAt(this.logOf(id), 'assignment', startedAt);
          if (at === undefined) return false;
          watching.set(id, at);
        }
        return true;
      },
      60_000,
      'every node applying its first assignment',
    );
    await delay(Math.max(0, Math.max(...watching.values()) + startDelayMs + 500 - Date.now()));
  }

  /** The log file of a process (sim, master, a server id); appended to at each start. */
  logOf(name: string): string {
    return join(this.dir, `${name}.log`);
  }

  /**
   * Waits until the footage of `camera` on these servers' disks reaches `untilMs` (by its frames), so
   * that holes counted up to then do not end with one for a segment not yet stored (a loaded machine).
   */
  async footageReaches(servers: string[], camera: string, untilMs: number, timeoutMs = 20_000): Promise<void> {
    await this.farm.waitFor(
      () => servers.some((s) => diskSegments(this.storageOf(s), camera).some((x) => x.endMs >= untilMs)),
      timeoutMs,
      `footage of ${camera} on ${servers.join(' or ')} up to ${untilMs}`,
    );
  }

  /** The default storage path of a server (its data dir's `storage`), where it records without storage settings. */
  storageOf(server: string): string {
    return join(this.dir, 'nodes', server, 'storage');
  }

  cameras(): Promise<CameraView[]> {
    return this.farm.api<CameraView[]>('/api/v1/cameras');
  }
  async camera(id: string): Promise<CameraView> {
    const c = (await this.cameras()).find((x) => x.id === id);
    if (!c) throw new Error(`no camera ${id}`);
    return c;
  }
  servers(): Promise<ServerView[]> {
    return this.farm.api<ServerView[]>('/api/v1/servers');
  }
  async server(id: string): Promise<ServerView> {
    const s = (await this.servers()).find((x) => x.id === id);
    if (!s) throw new Error(`no server ${id}`);
    return s;
  }
  failovers(): Promise<FailoverView[]> {
    return this.farm.api<FailoverView[]>('/api/v1/failovers');
  }
  timeline(camera: string, from: number, to: number): Promise<TimelineView> {
    return this.farm.api<TimelineView>(`/api/v1/cameras/${camera}/timeline?from=${from}&to=${to}`);
  }

  /** Whether each camera records on its server, with no handover under way. */
  async recordingOn(where: Record<string, string>): Promise<boolean> {
    const cams = await this.cameras();
    return Object.entries(where).every(([id, server]) => {
      const c = cams.find((x) => x.id === id);
      return c?.currentServer === server && c.recording === 'recording' && !c.handover;
    });
  }

  /** Waits until each camera records on its server (see recordingOn). */
  async settled(where: Record<string, string>, timeoutMs = 30_000): Promise<void> {
    await this.farm.waitFor(
      () => this.recordingOn(where),
      timeoutMs,
      Object.entries(where)
        .map(([c, s]) => `${c} recording on ${s}`)
        .join(', '),
    );
  }

  /** A request to the master as the farm's admin (its API token, over TLS); the answer as it comes (status not checked). */
  request(method: string, path: string, body?: unknown) {
    return this.farm.fetch(path, {
      method,
      ...(body !== undefined && { headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) }),
    });
  }

  /**
   * A request to the master as server `server` (its enrolled certificate, on mutual TLS), as its node
   * makes it on the node channel; the answer as it comes (status not checked).
   */
  serverRequest(server: string, method: string, path: string, body?: unknown) {
    return this.farm.serverFetch(server, path, {
      method,
      ...(body !== undefined && { headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) }),
    });
  }

  /** A server's assignment as the master serves it now, asked on the node channel as that server (its certificate). */
  async assignment<T>(server: string): Promise<T> {
    const res = await this.serverRequest(
      server,
      'GET',
      `/api/v1/nodes/${encodeURIComponent(server)}/assignment?after=-1`,
    );
    if (!res.ok) throw new Error(`assignment of ${server}: ${res.status} ${await res.text()}`);
    return (await res.json()) as T;
  }
}
