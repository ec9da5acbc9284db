import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import type { LocalIndex } from '../storage/local-index.ts';
import { openIndex } from '../storage/open-index.ts';
import { NodeStorage } from '../storage/node-storage.ts';
import { recordingFailed } from './recording-failed.ts';
import { Recorder } from '../recorder/recorder.ts';
import { Heartbeat } from '../health/heartbeat.ts';
import { LeaderMoved, MasterClient } from './master-client.ts';
import type { Assignment } from '../protocol/assignment.ts';
import type { NodeStatus } from '../protocol/status.ts';
import type { Logger } from '../lib/log.ts';
import { setTimeout as delay } from 'node:timers/promises';
import { NodeApi } from './node-api.ts';
import { CopyBack, indexLocator } from './copy-back.ts';
import { AssignmentCache } from './assignment-cache.ts';
import { AssignmentGate } from './assignment-gate.ts';
import { openBufferRoot } from './buffer-root.ts';
import { ensurePrivateDir } from '../lib/private-dir.ts';
import { aliveKeysFromHex } from '../health/alive-keys.ts';
import { farmClientTls, type FarmTls } from '../auth/peer-identity.ts';
import { createPrivateKey } from 'node:crypto';
import { SegmentChain } from '../storage/segment-chain.ts';
import { StatusFarmClock } from './farm-clock.ts';
import { statusRemoval } from './status-removal.ts';
import { recorderOfCopy } from '../storage/layout.ts';

export interface RecordingNodeOptions {
  id: string;
  masterUrls: string[];
  dataDir: string;
  /**
   * The server's enrolled key and certificate, and the farm CA (see joinFarm): its only credential
   * towards the master and the other servers. No farm key: the Alive keys come in the assignment.
   */
  identity: FarmTls;
  log: Logger;
  /** Port of the playback API (NodeApi); 0 or absent lets the system choose (the status tells the master). */
  apiPort?: number;
  /** CA file (PEM) the certificates of rtsps cameras must chain to; none: rtsps is encrypted, not verified. */
  rtspsCa?: string;
}

const SEGMENT_BATCH = 1000;
/** At each start, hour folders this recent are checked for files missing from the index. */
const RECONCILE_WINDOW_MS = 2 * 3_600_000;

/**
 * A recording server: records what the master assigns, heartbeats its buddies, reports status and
 * segments. Its last assignment is kept on disk, so it keeps recording when no master answers.
 */
export class RecordingNode {
  private readonly index: LocalIndex;
  private readonly recorder: Recorder;
  private readonly client: MasterClient;
  private heartbeat: Heartbeat | undefined;
  private heartbeatKey = '';
  private readonly gate = new AssignmentGate();
  /** The assignment carried out last. */
  private applied: Assignment | undefined;
  private readonly cache: AssignmentCache;
  private lastRefusal = '';
  private readonly bootId = randomBytes(8).toString('hex');
  private readonly abort = new AbortController();
  private statusTimer: NodeJS.Timeout | undefined;
  private posting = false;
  private lastStatusRefusal: string | undefined;
  /** Statuses of this boot so far (the last one's seq), and the master's time in its last answer. */
  private statusSeq = 0;
  private answeredAtMs: number | undefined;
  private postAgain = false;
  private masterReachable = true;
  private readonly loops: Promise<void>[] = [];
  private readonly storage: NodeStorage;
  private nodeApi: NodeApi | undefined;
  private nodeApiHost = '';
  private readonly bufferRoot: { dir: string; close(): void };
  private readonly copyBack: CopyBack;
  /** The signed hash chain of what this server records, signed with its identity key. */
  private readonly chain: SegmentChain;
  /** Farm time (the master's clock), estimated from the status round trips. */
  private readonly farmClock = new StatusFarmClock();

  constructor(private readonly o: RecordingNodeOptions) {
    // Older versions left it 0755; what is inside is not rewritten (new files are 0600 anyway).
    ensurePrivateDir(o.dataDir, { followRoot: true });
    this.cache = new AssignmentCache(o.dataDir, o.log);
    const opened = openIndex(join(o.dataDir, 'index.sqlite'), o.log);
    this.index = opened.index;
    this.chain = new SegmentChain(this.index.sqlite, { server: o.id, key: createPrivateKey(o.identity.key) });
    this.storage = new NodeStorage({
      chain: this.chain,
      nodeId: o.id,
      dataDir: o.dataDir,
      index: this.index,
      log: o.log,
      // A crash between moving a segment and indexing it leaves a file the index lacks: recent hours
      // are checked at each start, everything when the index is new.
      reconcileSinceMs: opened.fresh ? 0 : Date.now() - RECONCILE_WINDOW_MS,
      onChange: () => this.scheduleStatus(0),
    });
    // A hot standby's pre-buffer lives in memory (tmpfs): no second copy of footage on disk in normal
    // running, and nothing of it is left for staging recovery to commit after a restart. In a
    // folder of its own no other local user can predict, prepare or enter (buffer-root.ts).
    this.bufferRoot = openBufferRoot(o.id, o.dataDir, o.log);
    this.recorder = new Recorder({
      nodeId: o.id,
      stagingRoot: this.storage.stagingRoot,
      bufferRoot: this.bufferRoot.dir,
      sink: this.storage,
      log: o.log.child({ part: 'recorder' }),
      ...(o.rtspsCa && { tlsCaFile: o.rtspsCa }),
      toFarm: (ms) => this.farmClock.toFarm(ms),
    });
    this.client = new MasterClient(o.masterUrls, o.id, o.identity, (url) =>
      o.log.info({ master: url }, 'the master that answers changed'),
    );
    // Failback copy-back: jobs survive a crash in <dataDir>/copy-back.json and resume where they stopped.
    this.copyBack = new CopyBack({
      dataDir: o.dataDir,
      stagingDir: join(o.dataDir, 'copy-staging'),
      sink: this.storage,
      tls: farmClientTls(o.identity, 'server'),
      log: o.log.child({ part: 'copy-back' }),
      locate: indexLocator({ index: this.index, nodeId: o.id, roots: (seg) => this.storage.readOrder(seg) }),
      onChange: () => this.scheduleStatus(0),
    });
  }

  async start(): Promise<void> {
    const cached = this.cache.load();
    if (cached && this.gate.offer(cached).kind === 'apply') {
      this.o.log.info(
        { generation: cached.generation, cameras: cached.cameras.length },
        'recording the last known assignment until a master answers',
      );
      await this.apply(cached);
    }
    this.loops.push(this.pollLoop());
    this.scheduleStatus(0);
  }

  async close(): Promise<void> {
    this.abort.abort();
    clearTimeout(this.statusTimer);
    await Promise.allSettled(this.loops);
    await this.copyBack.close();
    await this.heartbeat?.close();
    await this.nodeApi?.close();
    await this.client.close();
    await this.recorder.close();
    await this.storage.close();
    this.index.close();
    this.bufferRoot.close();
  }

  private async pollLoop(): Promise<void> {
    let backoff = 250;
    while (!this.abort.signal.aborted) {
      try {
        const sent = await this.client.assignment(this.gate.after, this.abort.signal, this.gate.current?.term);
        if (!this.masterReachable) this.o.log.info('master reachable again');
        this.masterReachable = true;
        const offer = this.gate.offer(sent);
        if (offer.kind === 'refused') {
          // The last good assignment stays in force; a master that keeps sending this one is not polled in a loop.
          const text = offer.problems.join('; ');
          if (text !== this.lastRefusal)
            this.o.log.error(
              { problems: offer.problems, keeping: this.gate.current?.generation ?? null },
              "the master's assignment is not valid: refused, the last good one stays in force",
            );
          this.lastRefusal = text;
          await delay(backoff, undefined, { signal: this.abort.signal }).catch(() => {});
          backoff = Math.min(backoff * 2, 2000);
          continue;
        }
        if (offer.kind === 'older') {
          // A master deposed by a newer leader: what it sends is not obeyed (fencing by term).
          this.o.log.warn(
            {
              term: offer.term,
              generation: offer.generation,
              holding: { term: this.gate.current?.term, generation: this.gate.current?.generation },
            },
            'an assignment older than the one in force (an earlier leader): refused',
          );
          await delay(backoff, undefined, { signal: this.abort.signal }).catch(() => {});
          backoff = Math.min(backoff * 2, 2000);
          continue;
        }
        backoff = 250;
        this.lastRefusal = '';
        if (offer.kind === 'apply') await this.apply(offer.assignment);
      } catch (err) {
        if (this.abort.signal.aborted) return;
        if (err instanceof LeaderMoved) continue; // a status found the leader elsewhere: ask it now
        if (this.masterReachable)
          this.o.log.warn({ err }, 'no master answers; recording goes on with the last assignment');
        this.masterReachable = false;
        // A standby answered (a takeover under way): the new leader comes within a lease, ask often.
        const standby = err instanceof Error && err.message.includes('"NOT_LEADER"');
        await delay(standby ? 200 : backoff);
        backoff = standby ? 250 : Math.min(backoff * 2, 2000);
      }
    }
  }

  /** Carries out an assignment the gate let through. */
  private async apply(a: Assignment): Promise<void> {
    const changed = JSON.stringify(a.cameras) !== JSON.stringify(this.applied?.cameras);
    this.applied = a;
    if (changed)
      this.o.log.info(
        {
          generation: a.generation,
          cameras: a.cameras.filter((c) => !c.buffer).map((c) => c.id),
          preBuffer: a.cameras.filter((c) => c.buffer).map((c) => c.id),
        },
        'assignment',
      );
    this.cache.save(a);
    // Buddies first: stopping cameras can take seconds, and new buddies must hear us at once.
    await this.ensureHeartbeat(a);
    this.heartbeat?.setBuddies(a.buddies, aliveKeysFromHex(a.alive));
    await this.ensureNodeApi(a.server.host);
    // Storage before recording: the first configuration also recovers what a crash left in staging.
    await this.storage.configure(a.server.storage, a.cameras, a.retentionDays).catch(() => {});
    if (!this.storage.ready) {
      this.o.log.error('no usable storage settings yet: not recording');
      return;
    }
    await this.recorder
      .apply(a.cameras)
      .catch((err) => this.o.log.error({ err }, 'assignment refused by the recorder'));
    this.copyBack.setMaxBytesPerSec(a.settings.CopyBackMaxBytesPerSec ?? 0);
    for (const job of a.copyBack ?? [])
      void this.copyBack.start(job).catch((err) => this.o.log.error({ err, job: job.id }, 'copy-back job refused'));
  }

  private async ensureHeartbeat(a: Assignment): Promise<void> {
    const s = a.settings;
    const key = JSON.stringify([
      a.server.host,
      a.server.udpPort,
      s.AliveIntervalMs,
      s.FarmHealthMissedUdpMs,
      s.FarmHealthStartDelayMs,
      s.FarmHealthSockTimeoutMs,
    ]);
    if (key === this.heartbeatKey) return;
    await this.heartbeat?.close();
    this.heartbeat = new Heartbeat({
      selfId: this.o.id,
      host: a.server.host,
      port: a.server.udpPort,
      settings: {
        aliveIntervalMs: s.AliveIntervalMs,
        missedMs: s.FarmHealthMissedUdpMs,
        startDelayMs: s.FarmHealthStartDelayMs,
        sockTimeoutMs: s.FarmHealthSockTimeoutMs,
      },
      log: this.o.log.child({ part: 'heartbeat' }),
      onSuspects: () => this.scheduleStatus(0),
    });
    try {
      await this.heartbeat.start();
      this.heartbeatKey = key;
    } catch (err) {
      this.o.log.error(
        { err, host: a.server.host, port: a.server.udpPort },
        'cannot bind the buddy UDP port; retrying with the next assignment',
      );
      this.heartbeat = undefined;
    }
  }

  /** Serves playback on the server's host from its assignment; a failed bind is retried with the next assignment. */
  private async ensureNodeApi(host: string): Promise<void> {
    host ||= '127.0.0.1';
    if (this.nodeApi && host === this.nodeApiHost) return;
    await this.nodeApi?.close();
    this.nodeApi = undefined;
    const api = new NodeApi({
      host,
      port: this.o.apiPort ?? 0,
      roots: (seg) => this.storage.readOrder(seg),
      index: this.index,
      chain: this.chain,
      buffered: (camera, stream) => this.recorder.buffered(camera, stream),
      // Set as soon as an assignment arrives (apply's first step), before anything else of it is done.
      copySources: () => this.applied?.copySources ?? [],
      verify: { nodeId: this.o.id, storagePaths: () => this.storage.storagePaths(), ready: () => this.storage.ready },
      tls: this.o.identity,
      log: this.o.log.child({ part: 'node-api' }),
    });
    try {
      await api.start();
      this.nodeApi = api;
      this.nodeApiHost = host;
      this.o.log.info({ url: api.url }, 'playback API listening');
      this.scheduleStatus(0); // the master learns the port now, not a status interval later
    } catch (err) {
      this.o.log.error(
        { err, host, port: this.o.apiPort ?? 0 },
        'cannot start the playback API; retrying with the next assignment',
      );
    }
  }

  private scheduleStatus(ms: number): void {
    clearTimeout(this.statusTimer);
    if (this.abort.signal.aborted) return;
    this.statusTimer = setTimeout(() => void this.postStatus(), ms);
  }

  private async postStatus(): Promise<void> {
    if (this.posting) {
      this.postAgain = true;
      return;
    }
    this.posting = true;
    const segments = this.index.unreported(SEGMENT_BATCH);
    const removed = this.index.removals.pending(SEGMENT_BATCH);
    const cameras = this.recorder.status();
    const storage = this.storage.status();
    const status: NodeStatus = {
      bootId: this.bootId,
      seq: ++this.statusSeq,
      ...(this.answeredAtMs !== undefined && { answeredAtMs: this.answeredAtMs }),
      apiPort: this.nodeApi?.port,
      ...(this.gate.current && { held: { term: this.gate.current.term, generation: this.gate.current.generation } }),
      suspects: this.heartbeat?.suspects() ?? [],
      cameras: Object.fromEntries(
        Object.entries(cameras).map(([id, s]) => [
          id,
          {
            state: s.state,
            lastSegmentEndMs: s.lastSegmentEndMs,
            restarts: s.restarts,
            ...(s.clockOffsetMs !== undefined && { clockOffsetMs: s.clockOffsetMs }),
            ...(s.streams && {
              streams: s.streams.map((x) => ({
                state: x.state,
                lastSegmentEndMs: x.lastSegmentEndMs,
                restarts: x.restarts,
              })),
            }),
          },
        ]),
      ),
      segments: segments.map((s) => ({
        camera: s.cameraId,
        ...(s.stream && { stream: s.stream }),
        startMs: s.startMs,
        endMs: s.endMs,
        ...(recorderOfCopy(s.path) && { recordedBy: recorderOfCopy(s.path) }),
        bytes: s.bytes,
        ...(s.sha256 && { sha256: s.sha256 }),
      })),
      ...(removed.length && { removed: removed.map(statusRemoval) }),
      ...(storage && { storage }),
      recordingFailed: recordingFailed(Object.values(cameras)),
      copyBack: this.copyBack.status().slice(-100),
      udp: this.heartbeat ? { ...this.heartbeat.counters, dropped: { ...this.heartbeat.counters.dropped } } : undefined,
    };
    try {
      const trip = this.farmClock.roundTrip();
      status.clock = trip.clock;
      const answer = await this.client.status(status, this.abort.signal);
      trip.answered(answer);
      this.answeredAtMs = answer.masterTimeMs ?? this.answeredAtMs;
      this.lastStatusRefusal = undefined;
      if (segments.length) this.index.markReported(segments.map((s) => s.id));
      if (removed.length) this.index.removals.acknowledge(removed.map((r) => r.id));
    } catch (err) {
      // The poll loop logs an unreachable master; a master that answers and refuses the status
      // (a version mismatch, say) would make this server look dead to it, so that is logged here.
      const text = err instanceof Error ? err.message : String(err);
      const refused = /^4\d\d /.test(text) ? text : undefined;
      if (refused && refused !== this.lastStatusRefusal)
        this.o.log.error({ err: refused }, "the master refuses this server's status");
      this.lastStatusRefusal = refused;
      // Segments stay unreported and go with the next status.
    } finally {
      this.posting = false;
    }
    const again = this.postAgain || segments.length === SEGMENT_BATCH || removed.length === SEGMENT_BATCH;
    this.postAgain = false;
    this.scheduleStatus(again ? 0 : (this.gate.current?.settings.StatusIntervalMs ?? 500));
  }
}
