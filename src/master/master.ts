import Fastify, { type FastifyInstance, type FastifyBaseLogger } from 'fastify';
import swagger from '@fastify/swagger';
import { Store } from '../store/store.ts';
import { Controller } from '../controller/controller.ts';
import { registerRoutes } from '../api/routes.ts';
import { errorHandler } from '../lib/http/error-handler.ts';
import type { FarmConfig } from '../config/farm-config.ts';
import type { Logger } from '../lib/log.ts';
import { farmKeys } from '../lib/farm-keys.ts';

export interface MasterOptions {
  store: string; // SQLite file or postgres:// URL
  host: string;
  port: number;
  farmKey: Buffer;
  config?: FarmConfig; // applied at start when given (already validated)
  log: Logger;
}

/** The management server: store, failover controller and HTTP API in one process. */
export class Master {
  private store: Store | undefined;
  private controller: Controller | undefined;
  private app: FastifyInstance | undefined;
  url = '';

  constructor(private readonly o: MasterOptions) {}

  async start(): Promise<void> {
    this.store = await Store.open(this.o.store, (err) =>
      this.o.log.warn({ err: err.message }, 'store connection lost; the next query reconnects'),
    );
    if (this.o.config) await this.store.applyConfig(this.o.config);
    this.controller = new Controller({ store: this.store, log: this.o.log.child({ part: 'controller' }) });
    await this.controller.start();
    const app = Fastify({
      loggerInstance: this.o.log.child({ part: 'api' }) as FastifyBaseLogger,
      disableRequestLogging: true,
      bodyLimit: 8 * 1024 * 1024,
    });
    app.setErrorHandler(errorHandler(this.o.log, 'master API'));
    await app.register(swagger, { openapi: { info: { title: 'Vigil master API', version: '1' } } });
    registerRoutes(app, { controller: this.controller, store: this.store, apiToken: farmKeys(this.o.farmKey).api });
    this.url = await app.listen({ host: this.o.host, port: this.o.port });
    this.app = app;
    this.o.log.info({ url: this.url }, 'master listening');
  }

  async close(): Promise<void> {
    await this.controller?.close();
    await this.app?.close();
    await this.store?.close();
  }
}
