import Fastify, { type FastifyInstance, type FastifyBaseLogger } from 'fastify';
import swagger from '@fastify/swagger';
import { Store } from '../store/store.ts';
import { Controller } from '../controller/controller.ts';
import { registerRoutes } from '../api/routes.ts';
import { ServerNodes } from '../api/server-nodes.ts';
import { errorHandler } from '../lib/http/error-handler.ts';
import type { Logger } from '../lib/log.ts';
import { farmKeys } from '../lib/farm-keys.ts';
import { storeSecretKey } from '../store/secret-url.ts';
import { applyFarmConfig } from './apply-config.ts';

/** Settings of a Master. */
export interface MasterOptions {
  store: string; // SQLite file or postgres:// URL
  host: string;
  port: number;
  farmKey: Buffer;
  /**
   * A farm configuration to apply at start, as given (a parsed YAML/JSON file): it goes the way
   * PUT /api/v1/config does (applyFarmConfig); refused, the master does not start.
   */
  config?: unknown;
  log: Logger;
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
    const controller = new Controller({ store: this.store, log: this.o.log.child({ part: 'controller' }) });
    this.controller = controller;
    await controller.start();
    const apiToken = farmKeys(this.o.farmKey).api;
    const nodes = new ServerNodes(controller, apiToken);
    this.nodes = nodes;
    const applyConfig = (input: unknown) =>
      applyFarmConfig(input, { controller, checkStorage: (server, body) => nodes.checkStorage(server, body) });
    if (this.o.config !== undefined) {
      // Before the API listens, so no server is told an assignment of the configuration it replaces.
      // Servers have not reported yet: their storage paths are checked once they run (see the warnings).
      const { warnings } = await applyConfig(this.o.config);
      for (const w of warnings) this.o.log.warn(w);
    }
    const app = Fastify({
      loggerInstance: this.o.log.child({ part: 'api' }) as FastifyBaseLogger,
      disableRequestLogging: true,
      bodyLimit: 8 * 1024 * 1024,
    });
    this.app = app;
    app.setErrorHandler(errorHandler(this.o.log, 'master API'));
    await app.register(swagger, { openapi: { info: { title: 'Vigil master API', version: '1' } } });
    registerRoutes(app, { controller, store: this.store, apiToken, applyConfig });
    this.url = await app.listen({ host: this.o.host, port: this.o.port });
    this.o.log.info({ url: this.url }, 'master listening');
  }
}
