import { VIGIL_VERSION } from '../lib/version.ts';
import Fastify, { type FastifyBaseLogger, type FastifyInstance, type FastifyRequest, type RouteOptions } from 'fastify';
import swagger from '@fastify/swagger';
import type { Controller } from '../controller/controller.ts';
import type { Store } from '../store/store.ts';
import { registerRoutes } from '../api/routes.ts';
import { registerAuthRoutes } from '../api/auth-routes.ts';
import { authHook, SESSION_COOKIE } from '../api/auth-hook.ts';
import type { SetupToken } from '../auth/setup-token.ts';
import type { Access } from '../auth/route-rules.ts';
import { errorHandler } from '../lib/http/error-handler.ts';
import type { Logger } from '../lib/log.ts';
import { registerAuditHook } from '../api/audit-hook.ts';
import { BODY_LIMITS, DEFAULT_API_LIMITS, MASTER_TIMEOUTS, type ApiLimits } from '../api/limits.ts';
import { applyServerTimeouts, timeoutOptions, type ServerTimeouts } from '../lib/http/server-limits.ts';
import type { ServerOptions as HttpsOptions } from 'node:https';
import type { ClientTls } from '../lib/http/tls.ts';
import type { Enrollment } from '../auth/enrollment.ts';
import { registerEnrollRoutes } from '../api/enroll-routes.ts';
import { DEFAULT_CLOCK_SKEW_WARN_MS, ServerClocks } from './server-clocks.ts';
import { registerMasterRoute, type MasterInfo, type MasterSeen } from '../api/master-info.ts';
import { registerStandbyGate, type StandbyGateOptions } from './standby-gate.ts';
import { registerConsoleRoutes } from '../api/console-routes.ts';
import { EventHub } from '../events/event-hub.ts';
import { CommitSignal } from '../events/commit-signal.ts';
import { FarmWatch } from '../events/farm-watch.ts';
import { registerEventsRoute } from '../events/events-route.ts';
import { cameraViews, serverViews } from '../api/farm-views.ts';

/** What the master's HTTP app is built from. */
export interface MasterAppOptions {
  log: Logger;
  controller: Controller;
  store: Store;
  /** How the master calls the recording servers: its farm certificate, the farm CA (farmClientTls). */
  nodeTls: ClientTls;
  /** Enrollment of servers (POST /api/v1/servers/:id/enroll, POST /api/v1/enroll). */
  enrollment: Enrollment;
  /** The farm CA certificate, PEM (GET /api/v1/ca.pem). */
  caPem: string;
  /** The API's TLS (masterTlsOptions); unset, plain HTTP (tests that only inject). */
  https?: HttpsOptions;
  /** Applies a configuration as PUT /api/v1/config gives it. */
  applyConfig: (input: unknown, actor?: string) => Promise<{ warnings: string[]; summary: string }>;
  setup: SetupToken;
  /** The enrolled server a request comes from, by its client certificate (ServerIdentities.identify; see AuthHookOptions.identifyServer). */
  identifyServer?: (req: FastifyRequest) => Promise<string | undefined>;
  /** Which master this is (GET /api/v1/master); default: a test master on SQLite. */
  masterInfo?: () => MasterInfo;
  /** The masters watching the lease (GET /api/v1/master); default none listed. */
  masters?: () => Promise<MasterSeen[]>;
  /** A master that may be a standby: while it does not lead, the API is forwarded (standby-gate.ts). */
  standby?: StandbyGateOptions & {
    /** Registers a call for the moment this master stops leading (its own streams then end). */
    onStandDown: (fn: () => void) => void;
  };
  /** The service channel's events (default: a hub of its own, for tests that only inject). */
  hub?: EventHub;
  /** Raised at every committed change (the store's writes, wrapped by publishCommits): the channel renders then. */
  commits?: CommitSignal;
  /** A status told the (term, generation) of the assignment in force at its server (see RouteDeps.onHeld). */
  onHeld?: (server: string, held: { term: number; generation: number }) => void;
  /** Sees every route as it is registered (the access table test collects them). */
  onRoute?: (route: RouteOptions) => void;
  /** The clock of sessions, tokens and the login throttle (tests). */
  now?: () => number;
  /** The access table (default ROUTE_RULES; bench/auth-overhead.ts measures against an open one). */
  rules?: Readonly<Record<string, Access>>;
  /** Bounds on exports and long polls (DEFAULT_API_LIMITS for those not given). */
  limits?: Partial<ApiLimits>;
  /** The API's timeouts (MASTER_TIMEOUTS for those not given; tests shorten them). */
  timeouts?: Partial<ServerTimeouts>;
}

/**
 * The master's Fastify app, not yet listening: the error handler, the OpenAPI document, THE
 * authentication hook (before any route, so no route escapes it), the farm's routes, enrollment
 * and the accounts API. master.ts serves it; the access table test builds it the same way.
 */
export async function masterApp(o: MasterAppOptions): Promise<FastifyInstance> {
  const timeouts = { ...MASTER_TIMEOUTS, ...o.timeouts };
  const app = Fastify({
    loggerInstance: o.log.child({ part: 'api' }) as FastifyBaseLogger,
    disableRequestLogging: true,
    // Routes with a body set their own; any other gets this.
    bodyLimit: BODY_LIMITS.other,
    ...timeoutOptions(timeouts),
    ...(o.https && { https: o.https }),
  });
  applyServerTimeouts(app.server, timeouts);
  if (o.onRoute) app.addHook('onRoute', o.onRoute);
  app.setErrorHandler(errorHandler(o.log, 'master API', { farmStore: true }));
  // First of all: a standby's API is the leader's (the leader audits and authenticates it).
  const byGate = o.standby && registerStandbyGate(app, o.standby);
  // Before the authentication hook, so that it also records the requests that hook refuses.
  registerAuditHook(app, {
    append: (e) => o.store.appendAudit(e),
    log: o.log.child({ part: 'audit' }),
    skip: byGate,
  });
  await app.register(swagger, {
    openapi: {
      info: { title: 'Vigil master API', version: '1' },
      components: {
        securitySchemes: {
          bearer: { type: 'http', scheme: 'bearer', description: 'an API token (vt_…) or a session secret (vs_…)' },
          session: { type: 'apiKey', in: 'cookie', name: SESSION_COOKIE },
        },
      },
      security: [{ bearer: [] }, { session: [] }],
    },
  });
  app.addHook('onRequest', authHook({ store: o.store, identifyServer: o.identifyServer, now: o.now, rules: o.rules }));
  const clocks = new ServerClocks({
    log: o.log.child({ part: 'clock' }),
    boundMs: () => o.controller.state().settings.ClockSkewWarnMs ?? DEFAULT_CLOCK_SKEW_WARN_MS,
  });
  const limits = { ...DEFAULT_API_LIMITS, ...o.limits };
  const commits = o.commits ?? new CommitSignal();
  registerRoutes(app, {
    controller: o.controller,
    store: o.store,
    nodeTls: o.nodeTls,
    applyConfig: o.applyConfig,
    limits,
    clocks,
    onStatusTaken: commits.mark,
    onHeld: o.onHeld,
  });
  const masterInfo = o.masterInfo ?? testMasterInfo(o.controller);
  const hub = o.hub ?? new EventHub('test');
  const servers = () => serverViews(o.controller, clocks);
  const cameras = () => cameraViews(o.controller, clocks);
  const copybacks = () => o.controller.copyBacks();
  // Lazily, at the first stream: tests that build the app without a started controller never render.
  let watch: FarmWatch | undefined;
  const watching = () => {
    watch ??= new FarmWatch(
      hub,
      { servers, cameras, copybacks },
      {
        tickMs: 250,
        onError: (err) => o.log.debug({ err: (err as Error).message }, 'service channel: farm not rendered'),
      },
    );
    return watch;
  };
  commits.on(() => watch?.mark());
  app.addHook('onClose', async () => watch?.close());
  const streams = registerEventsRoute(app, {
    hub,
    maxStreams: limits.eventStreamsTotal,
    snapshot: async () => {
      watching();
      return {
        servers: servers(),
        cameras: cameras(),
        copybacks: copybacks(),
        failovers: (await o.store.failoverPage({ limit: 50 })).entries,
        master: masterInfo(),
        generation: o.controller.generation,
      };
    },
  });
  // A master that stops leading ends its own streams: their clients come back through the gate.
  o.standby?.onStandDown(() => streams.endAll());
  registerMasterRoute(app, masterInfo, o.masters ?? (async () => []));
  registerEnrollRoutes(app, { enrollment: o.enrollment, caPem: o.caPem });
  registerAuthRoutes(app, { store: o.store, setup: o.setup, now: o.now });
  registerConsoleRoutes(app);
  return app;
}

/** The answer of a master built without one (tests that only inject). */
function testMasterInfo(controller: Controller): () => MasterInfo {
  const startedAtMs = Date.now();
  return () => ({
    id: 'test',
    url: '',
    version: VIGIL_VERSION,
    bootId: 'test',
    startedAtMs,
    leader: true,
    term: controller.state().term,
    store: 'sqlite',
  });
}
