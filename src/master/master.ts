import type { FastifyInstance } from 'fastify';
import { Store } from '../store/store.ts';
import { Controller } from '../controller/controller.ts';
import { ServerNodes } from '../api/server-nodes.ts';
import { legacyNodeToken } from '../api/legacy-node-token.ts';
import { SetupToken } from '../auth/setup-token.ts';
import type { Logger } from '../lib/log.ts';
import { farmKeys } from '../lib/farm-keys.ts';
import { storeSecretKey } from '../store/secret-url.ts';
import { aliveKeyring } from '../health/alive-keys.ts';
import { applyFarmConfig } from './apply-config.ts';
import type { ApiLimits } from '../api/limits.ts';
import type { ServerTimeouts } from '../lib/http/server-limits.ts';
import { masterApp } from './master-app.ts';

/** Settings of a Master. */
export interface MasterOptions {
  store: string; // SQLite file or postgres:// URL
  host: string;
  port: number;
  farmKey: Buffer;
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
  private app: FastifyInstance | undefined;
  url = '';

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
    await this.app?.close();
    this.nodes?.close();
    await this.store?.close();
  }

  private async run(): Promise<void> {
    this.store = await Store.open(this.o.store, {
      secretKey: storeSecretKey(this.o.farmKey),
      onConnectionError: (err) =>
        this.o.log.warn({ err: err.message }, 'store connection lost; the next query reconnects'),
    });
    const controller = new Controller({
      store: this.store,
      log: this.o.log.child({ part: 'controller' }),
      // The farm key stays here: servers get the Alive keys of their own pairs in their assignments.
      aliveKeyOf: aliveKeyring(this.o.farmKey),
    });
    this.controller = controller;
    await controller.start();
    const apiToken = farmKeys(this.o.farmKey).api;
    const nodes = new ServerNodes(controller, apiToken);
    this.nodes = nodes;
    const applyConfig = async (input: unknown, actor = 'anonymous') => {
      const applied = await applyFarmConfig(input, {
        controller,
        checkStorage: (server, body) => nodes.checkStorage(server, body),
      });
      this.o.log.info({ actor, summary: applied.summary }, 'configuration applied');
      return applied;
    };
    if (this.o.config !== undefined) {
      // Before the API listens, so no server is told an assignment of the configuration it replaces.
      // Servers have not reported yet: their storage paths are checked once they run (see the warnings).
      const { warnings } = await applyConfig(this.o.config, 'the configuration file given at start');
      for (const w of warnings) this.o.log.warn(w);
    }
    const setup = SetupToken.prepare({ dataDir: this.o.dataDir, users: await this.store.userCount(), log: this.o.log });
    // LEGACY until per-server identity is merged (issue 10): nodes prove themselves by the farm token.
    const identifyServer = legacyNodeToken(apiToken);
    const app = await masterApp({
      log: this.o.log,
      controller,
      store: this.store,
      nodeApiToken: apiToken,
      applyConfig,
      setup,
      identifyServer,
      limits: this.o.limits,
      timeouts: this.o.timeouts,
    });
    this.app = app;
    this.url = await app.listen({ host: this.o.host, port: this.o.port });
    this.o.log.info({ url: this.url }, 'master listening');
  }
}
