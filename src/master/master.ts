import { join } from 'node:path';
import type { FastifyInstance } from 'fastify';
import { Store } from '../store/store.ts';
import { Controller } from '../controller/controller.ts';
import { ServerNodes } from '../api/server-nodes.ts';
import { SetupToken } from '../auth/setup-token.ts';
import type { Logger } from '../lib/log.ts';
import { storeSecretKey } from '../store/secret-url.ts';
import { aliveKeyring } from '../health/alive-keys.ts';
import { applyFarmConfig } from './apply-config.ts';
import type { ApiLimits } from '../api/limits.ts';
import type { ServerTimeouts } from '../lib/http/server-limits.ts';
import { masterApp } from './master-app.ts';
import { FarmCa, masterHosts, type KeyAndCert } from '../auth/farm-ca.ts';
import { Enrollment } from '../auth/enrollment.ts';
import { ServerIdentities } from '../auth/server-identity.ts';
import { farmClientTls } from '../auth/peer-identity.ts';
import { masterTlsOptions } from './master-tls.ts';
import { NodeClient } from '../node-client/node-client.ts';
import { ServerReconcile } from '../verify/reconcile-runner.ts';
import { TermCatchUp, type TermGeneration } from './term-above.ts';
import { randomUUID } from 'node:crypto';
import { parseFarmConfig } from '../config/farm-config.ts';
import type { MasterInfo } from '../api/master-info.ts';
import { VIGIL_VERSION } from '../lib/version.ts';
import { EventHub } from '../events/event-hub.ts';
import { CommitSignal } from '../events/commit-signal.ts';
import { publishCommits } from '../events/publish-commits.ts';
import { DEFAULT_LEASE, Leadership, type LeaseTimings } from './leadership.ts';
import { refuseSharedSqlite, sqliteInUse } from './sqlite-lease.ts';

/** Settings of a Master. */
export interface MasterOptions {
  store: string; // SQLite file or postgres:// URL
  /** The master's name in GET /api/v1/master (default host:port). */
  id?: string;
  host: string;
  port: number;
  farmKey: Buffer;
  /** The farm CA's folder (`<data>/pki`): created at the first start. */
  pkiDir: string;
  /** The admin's own certificate and key for the API (people's clients); the farm CA still signs the servers. */
  tls?: KeyAndCert;
  /** Further names or addresses the master's farm certificate must hold (besides loopback, the hostname and `host`). */
  tlsHosts?: string[];
  /**
   * The master's data folder: the one-time setup token of a farm without users is written there
   * (`setup-token`). Unset (tests), the token is only logged.
   */
  dataDir?: string;
  /**
   * A farm configuration to apply at start, as given (a parsed YAML/JSON file): it goes the way
   * PUT /api/v1/config does (applyFarmConfig); refused, the master does not start.
   */
  config?: unknown;
  log: Logger;
  /** Bounds on exports and long polls (DEFAULT_API_LIMITS for those not given). */
  limits?: Partial<ApiLimits>;
  /** The API's timeouts (MASTER_TIMEOUTS for those not given; tests shorten them). */
  timeouts?: Partial<ServerTimeouts>;
  /** The lease among masters (DEFAULT_LEASE for those not given). */
  lease?: Partial<LeaseTimings>;
  /** The URL other masters and the servers reach this one at (default: its listening URL). */
  advertiseUrl?: string;
}

/** The management server: store, failover controller and HTTP API in one process. */
export class Master {
  private store: Store | undefined;
  private controller: Controller | undefined;
  private nodes: ServerNodes | undefined;
  private closeReconcile: (() => Promise<void>) | undefined;
  private app: FastifyInstance | undefined;
  private leadership: Leadership | undefined;
  /** Whether the controller has taken the farm up under the current lease (decisions wait for it). */
  private ready = false;
  /** Whether this master did not lead when it started: its first lead is a takeover from another. */
  private startedAsStandby = false;
  /** The last term this master led under. */
  private ledTerm: number | undefined;
  /** A write was refused by the fence since the farm was last taken up from the store. */
  private memoryStale = false;
  /** The term this master carries on from memory (leadAgain), if it does. */
  private fromMemory: number | undefined;
  private readonly standDownCalls: (() => void)[] = [];
  /** What the servers say they hold, and when this leader must lead on under a higher term. */
  private readonly catchUp = new TermCatchUp();
  url = '';
  /** New at each start: the service channel's event ids carry it, so a client sees a restart. */
  readonly bootId = randomUUID();
  private readonly startedAtMs = Date.now();
  /** The farm CA once started. */
  ca: FarmCa | undefined;

  constructor(private readonly o: MasterOptions) {}

  /** Opens the store, applies the configuration given, starts the controller and listens; cleans up when refused. */
  async start(): Promise<void> {
    try {
      await this.run();
    } catch (err) {
      await this.close();
      throw err;
    }
  }

  /** Gives the lease up, stops the controller, then the API, then the store. */
  async close(): Promise<void> {
    await this.leadership?.close();
    await this.controller?.close();
    await this.closeReconcile?.();
    await this.app?.close();
    this.nodes?.close();
    await this.store?.close();
  }

  /**
   * A server holds an assignment above what this leader would send (term-above.ts): the store is
   * behind the farm, and the server would refuse everything. This master leads on under a term above
   * the server's, taking the farm up from the store anew (its memory is the store's, which is behind).
   */
  private behind(server: string, held: TermGeneration): void {
    const term = this.leadership?.currentTerm;
    if (!this.deciding() || term === undefined || !this.controller) return;
    const raise = this.catchUp.heard(server, held, { term, generation: this.controller.generation }, performance.now());
    if (!raise) return;
    this.memoryStale = true;
    void this.leadership?.raise(raise.to, raise.reason);
  }

  /** Which master this is and which leads (GET /api/v1/master). */
  info(): MasterInfo {
    const leader = this.leadership?.leader();
    return {
      id: this.id,
      url: this.url,
      version: VIGIL_VERSION,
      bootId: this.bootId,
      startedAtMs: this.startedAtMs,
      leader: this.deciding(),
      // A standby that never led has read no farm yet.
      term: leader?.term ?? (this.controller?.state() as { term?: number } | undefined)?.term ?? 1,
      ...(leader && { leaderId: leader.id, leaderUrl: leader.url }),
      store: this.isPostgres ? 'postgresql' : 'sqlite',
    };
  }

  /** Whether this master decides now: it holds the lease (surely, on its own clock) and has taken the farm up. */
  deciding(): boolean {
    return this.ready && (this.leadership?.leading() ?? false);
  }

  private get id(): string {
    return this.o.id ?? `${this.o.host}:${this.o.port}`;
  }

  private get isPostgres(): boolean {
    return /^postgres(ql)?:/.test(this.o.store);
  }

  /** Who this master is in the lease: its process, name and the URL it is reached at. */
  private readonly me = { boot: this.bootId, id: '', url: '', version: VIGIL_VERSION };

  /**
   * This master's part in the lease: when it takes it, the store's writes are fenced by its term and
   * the controller takes the farm up from the store; when it loses it (or cannot renew it in time),
   * the controller stops at once and the fence refuses whatever was under way.
   */
  private lead(store: Store, controller: Controller, hub: EventHub): Leadership {
    this.me.id = this.id;
    this.me.url = this.o.advertiseUrl ?? (this.o.port ? `https://${this.o.host}:${this.o.port}` : '');
    const lease = { ...DEFAULT_LEASE, ...this.o.lease };
    // A standby writes none of the farm's state: term 0 is nobody's.
    store.fence = { boot: this.bootId, term: 0 };
    const leadership: Leadership = new Leadership({
      ...lease,
      leases: store.leases,
      me: this.me,
      log: this.o.log.child({ part: 'lease' }),
      onLead: async (term) => {
        store.fence = {
          boot: this.bootId,
          term,
          refused: () => {
            this.memoryStale = true;
            leadership.lost(term, 'a write was refused: another master leads');
            // Refused after this master went on under its next term from memory (leadAgain): that
            // memory is not the store's, so that term ends too and the next take reads the store.
            const now = leadership.currentTerm;
            if (now !== undefined && now !== term && this.fromMemory === now)
              leadership.lost(now, 'a write of the last term was refused: the farm is taken up anew');
          },
        };
        // Its own next term: nobody led in between, its memory stands, unless the store refused one of
        // its writes (memory and store may differ then). Else the farm is taken up anew (a takeover
        // unless this is the cold start of the farm's only master).
        const again = this.ledTerm !== undefined && term === this.ledTerm + 1 && !this.memoryStale;
        this.fromMemory = again ? term : undefined;
        if (again) await controller.leadAgain(term);
        else {
          this.memoryStale = false;
          await controller.start({ term, takeover: this.startedAsStandby || this.ledTerm !== undefined });
        }
        // Stood down while taking the farm up: nothing of this term is carried on from memory.
        if (leadership.currentTerm !== term) return;
        this.ledTerm = term;
        this.ready = true;
        hub.publish('master', this.info());
      },
      onStandDown: () => {
        this.ready = false;
        controller.standDown();
        for (const fn of this.standDownCalls) fn();
        hub.publish('master', this.info());
      },
    });
    this.leadership = leadership;
    return leadership;
  }

  private async run(): Promise<void> {
    this.store = await Store.open(this.o.store, {
      secretKey: storeSecretKey(this.o.farmKey),
      onConnectionError: (err) =>
        this.o.log.warn({ err: err.message }, 'store connection lost; the next query reconnects'),
    });
    if (!this.isPostgres)
      await refuseSharedSqlite(this.store, this.o.store, { ...DEFAULT_LEASE, ...this.o.lease }, this.o.log);
    const ca = await FarmCa.open(this.o.pkiDir, masterHosts(this.o.host, this.o.tlsHosts), (what) =>
      this.o.log.info({ dir: this.o.pkiDir }, what),
    );
    this.ca = ca;
    const store = this.store;
    // The service channel follows the store's writes, whoever makes them.
    const hub = new EventHub(this.bootId);
    const commits = new CommitSignal();
    publishCommits(store, hub, commits.mark);
    const nodeTls = farmClientTls({ ...ca.master, ca: ca.caPem }, 'server');
    const reconcileClient = new NodeClient({ tls: nodeTls });
    const controller: Controller = new Controller({
      store,
      deciding: () => this.deciding(),
      log: this.o.log.child({ part: 'controller' }),
      onReconnect: (id) => reconcile.start(id),
      // The farm key stays here: servers get the Alive keys of their own pairs in their assignments.
      aliveKeyOf: aliveKeyring(this.o.farmKey),
    });
    const reconcile = new ServerReconcile({
      store,
      farm: () => controller.state(),
      apiUrlOf: (id) => controller.apiUrlOf(id),
      client: reconcileClient,
      log: this.o.log.child({ part: 'reconcile' }),
    });
    this.closeReconcile = async () => {
      await reconcile.close();
      reconcileClient.close();
    };
    this.controller = controller;
    const leadership = this.lead(store, controller, hub);
    await leadership.start();
    // Two masters started at once on one SQLite file both found its lease free: the one that did not
    // take it is refused as well.
    if (!this.isPostgres && !this.deciding()) {
      const l = await store.leases.read();
      if (l.holder !== undefined && l.holder !== this.bootId && l.expiresAtMs > l.nowMs)
        throw sqliteInUse(this.o.store, l);
    }
    this.startedAsStandby = !this.deciding();
    const nodes = new ServerNodes(controller, nodeTls);
    const identities = new ServerIdentities(store);
    const configured = (id: string) => controller.state().servers.some((s) => s.id === id);
    const enrollment = new Enrollment({
      store,
      ca,
      configured,
      onEnrolled: (id) => {
        identities.forget(id);
        controller.contacted(id);
      },
    });
    this.nodes = nodes;
    const applyConfig = async (input: unknown, actor = 'anonymous') => {
      const applied = await applyFarmConfig(input, {
        controller,
        checkStorage: (server, body) => nodes.checkStorage(server, body),
      });
      this.o.log.info({ actor, summary: applied.summary }, 'configuration applied');
      hub.publish('config', { generation: controller.generation, summary: applied.summary, actor });
      return applied;
    };
    if (this.o.config !== undefined && !this.deciding()) {
      // A standby must not replace what the leader runs: the file is checked only, and applied by nobody.
      parseFarmConfig(this.o.config);
      this.o.log.info(
        { leader: leadership.leader()?.id },
        'standby: the configuration file is not applied (the leader runs the farm)',
      );
    } else if (this.o.config !== undefined) {
      // Before the API listens, so no server is told an assignment of the configuration it replaces.
      // Servers have not reported yet: their storage paths are checked once they run (see the warnings).
      const { warnings } = await applyConfig(this.o.config, 'the configuration file given at start');
      for (const w of warnings) this.o.log.warn(w);
    }
    const setup = SetupToken.prepare({ dataDir: this.o.dataDir, users: await store.userCount(), log: this.o.log });
    const app = await masterApp({
      log: this.o.log,
      controller,
      store,
      nodeTls,
      enrollment,
      caPem: ca.caPem,
      https: masterTlsOptions(ca, this.o.tls),
      applyConfig,
      setup,
      // Servers are known by their enrolled certificates (the node channel's only credential).
      identifyServer: identities.identify,
      limits: this.o.limits,
      timeouts: this.o.timeouts,
      masterInfo: () => this.info(),
      masters: () => store.leases.masters(),
      hub,
      commits,
      onHeld: (server, held) => this.behind(server, held),
      standby: {
        leading: () => this.deciding(),
        // Not itself: a master taking the farm up (leading, not ready yet) answers 503 to retry.
        leader: () => (leadership.leading() ? undefined : leadership.leader()),
        storeUnreachable: () => leadership.storeUnreachable,
        tls: farmClientTls({ ...ca.master, ca: ca.caPem }, 'master'),
        id: this.id,
        onStandDown: (fn) => this.standDownCalls.push(fn),
      },
    });
    this.app = app;
    this.url = await app.listen({ host: this.o.host, port: this.o.port });
    this.me.url ||= this.url;
    hub.publish('master', this.info());
    this.o.log.info(
      { url: this.url, ca: join(this.o.pkiDir, 'ca.pem'), caFingerprint: ca.fingerprint },
      'master listening',
    );
  }
}
