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
import { randomUUID } from 'node:crypto';
import type { MasterInfo } from '../api/master-info.ts';
import { VIGIL_VERSION } from '../lib/version.ts';
import { EventHub } from '../events/event-hub.ts';
import { CommitSignal } from '../events/commit-signal.ts';
import { publishCommits } from '../events/publish-commits.ts';

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
}

/** The management server: store, failover controller and HTTP API in one process. */
export class Master {
  private store: Store | undefined;
  private controller: Controller | undefined;
  private nodes: ServerNodes | undefined;
  private closeReconcile: (() => Promise<void>) | undefined;
  private app: FastifyInstance | undefined;
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

  /** Stops the controller, then the API, then the store. */
  async close(): Promise<void> {
    await this.controller?.close();
    await this.closeReconcile?.();
    await this.app?.close();
    this.nodes?.close();
    await this.store?.close();
  }

  /** Which master this is (GET /api/v1/master). */
  info(): MasterInfo {
    return {
      id: this.o.id ?? `${this.o.host}:${this.o.port}`,
      url: this.url,
      version: VIGIL_VERSION,
      bootId: this.bootId,
      startedAtMs: this.startedAtMs,
      leader: true,
      term: this.controller?.state().term ?? 1,
      store: /^postgres(ql)?:/.test(this.o.store) ? 'postgresql' : 'sqlite',
    };
  }

  private async run(): Promise<void> {
    this.store = await Store.open(this.o.store, {
      secretKey: storeSecretKey(this.o.farmKey),
      onConnectionError: (err) =>
        this.o.log.warn({ err: err.message }, 'store connection lost; the next query reconnects'),
    });
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
    await controller.start();
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
    if (this.o.config !== undefined) {
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
      hub,
      commits,
    });
    this.app = app;
    this.url = await app.listen({ host: this.o.host, port: this.o.port });
    hub.publish('master', this.info());
    this.o.log.info(
      { url: this.url, ca: join(this.o.pkiDir, 'ca.pem'), caFingerprint: ca.fingerprint },
      'master listening',
    );
  }
}
