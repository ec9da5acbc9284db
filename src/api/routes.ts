import type { FastifyInstance, FastifyRequest } from 'fastify';
import { Type } from '@sinclair/typebox';
import type { Controller } from '../controller/controller.ts';
import type { Store } from '../store/store.ts';
import { NodeStatus } from '../protocol/status.ts';
import { NODE_CHANNEL_ROUTES, StatusReply } from '../protocol/node-channel.ts';
import { performance } from 'node:perf_hooks';
import { DEFAULT_CLOCK_SKEW_WARN_MS, ServerClocks } from '../master/server-clocks.ts';
import type { Logger } from '../lib/log.ts';
import { FarmConfig } from '../config/farm-config.ts';
import { ErrorBody, ServerView, CameraView, FailoverView, TimelineView, CopyBackView } from './schemas.ts';
import { cameraViews, serverViews } from './farm-views.ts';
import { timeline } from '../playback/timeline.ts';
import { gapCauses, LOOKBACK_MS } from '../playback/gap-causes.ts';
import { storeUnavailable } from '../store/unavailable.ts';
import { VigilError } from '../lib/errors.ts';
import { askedRange } from '../lib/time-range.ts';
import { redactCredentials } from '../lib/redact.ts';
import { actorName } from '../auth/principal.ts';
import { configOfSnapshot } from '../master/config-change.ts';
import { registerPlaybackRoutes } from './playback-routes.ts';
import { registerAuditRoutes } from './audit-routes.ts';
import { registerVerifyRoutes } from './verify-routes.ts';
import { setAuditSummary } from './audit-hook.ts';
import { BODY_LIMITS, DEFAULT_API_LIMITS, LONG_POLL_MS, MAX_TIMELINE_MS, type ApiLimits } from './limits.ts';
import { LongPolls } from './long-polls.ts';
import { PageQuery, pageHeaders, sendPage } from './page-query.ts';
import type { ClientTls } from '../lib/http/tls.ts';

export interface RouteDeps {
  controller: Controller;
  store: Store;
  /** How the master calls the recording servers: its farm certificate, the farm CA (farmClientTls). */
  nodeTls: ClientTls;
  /**
   * Applies a configuration as given (validated, storage checked on the servers; see
   * applyFarmConfig) for `actor`; says what changed.
   */
  applyConfig: (input: unknown, actor?: string) => Promise<{ warnings: string[]; summary: string }>;
  /** Bounds on exports and long polls (DEFAULT_API_LIMITS unless given). */
  limits?: ApiLimits;
  /** Called once a status was taken (the service channel renders what it changed). */
  onStatusTaken?: () => void;
  /** A status told the (term, generation) of the assignment in force at its server (a master behind it raises its term). */
  onHeld?: (server: string, held: { term: number; generation: number }) => void;
  /** What the master knows of the servers' clocks (default: one of its own, logging to the app's logger). */
  clocks?: ServerClocks;
}

/** Who made a request, as the logs name them; undefined when no one authenticated. */
const actorOf = (req: FastifyRequest) => (req.principal ? actorName(req.principal) : undefined);

/**
 * The master's HTTP API: the read API for clients and tests, operators' actions, the node channel.
 * Who may call each route is the authentication hook's (api/auth-hook.ts, auth/route-rules.ts).
 */
export function registerRoutes(app: FastifyInstance, d: RouteDeps): void {
  const { controller, store } = d;
  const limits = d.limits ?? DEFAULT_API_LIMITS;
  const longPolls = new LongPolls(limits.longPollsTotal);
  const clocks =
    d.clocks ??
    new ServerClocks({
      log: app.log as unknown as Logger,
      boundMs: () => controller.state().settings.ClockSkewWarnMs ?? DEFAULT_CLOCK_SKEW_WARN_MS,
    });

  const read = (summary: string, response: unknown, extra: Record<string, unknown> = {}) => ({
    schema: { summary, response: { 200: response, '4xx': ErrorBody, '5xx': ErrorBody }, ...extra },
  });

  app.get('/api/v1/openapi.json', { schema: { hide: true } }, async () => app.swagger());

  app.get(
    '/api/v1/health',
    read('master is up', Type.Object({ ok: Type.Boolean(), generation: Type.Integer() })),
    async () => ({ ok: true, generation: controller.generation }),
  );

  // While the store is out the master's picture may hold a verdict the store has not taken: these
  // answer STORE_UNAVAILABLE (503) rather than a state that may change back once it has.
  const committed = () => {
    if (controller.storeLost) throw storeUnavailable('the farm state shown here may not be committed');
  };
  app.get('/api/v1/servers', read('recording servers: role, state, cameras', Type.Array(ServerView)), async () => {
    committed();
    return serverViews(controller, clocks);
  });

  app.get(
    '/api/v1/cameras',
    read('cameras: home and current server, recording state', Type.Array(CameraView)),
    async () => {
      committed();
      return cameraViews(controller, clocks);
    },
  );

  registerPlaybackRoutes(app, { ...d, limits });
  registerAuditRoutes(app, { store });
  registerVerifyRoutes(app, d);

  app.get(
    '/api/v1/failovers',
    {
      schema: {
        summary: 'the failover log: the newest entries (a page), oldest first; older pages by `before`',
        querystring: Type.Object(PageQuery),
        response: {
          200: { description: 'entries, oldest first', headers: pageHeaders, ...Type.Array(FailoverView) },
          '4xx': ErrorBody,
        },
      },
    },
    async (req, reply) => sendPage(reply, await store.failoverPage(req.query as { limit: number; before?: number })),
  );

  app.get(
    '/api/v1/copybacks',
    read(
      'failback copy-back jobs under way (bytes, percent, rate, ETA); finished ones are in their failback entry of the failover log',
      Type.Array(CopyBackView),
    ),
    async () => controller.copyBacks(),
  );

  app.get(
    '/api/v1/cameras/:id/timeline',
    read('recorded intervals across every server that recorded the camera, and the gaps between them', TimelineView, {
      params: Type.Object({ id: Type.String() }),
      querystring: Type.Object({
        from: Type.Optional(Type.String({ description: 'epoch ms or ISO 8601; default: to - 1 h' })),
        to: Type.Optional(Type.String({ description: 'default: now' })),
        stream: Type.Optional(
          Type.Integer({
            minimum: 0,
            maximum: 99,
            default: 0,
            description: "the camera's stream: 0 the first (main), 1 the second (sub), …",
          }),
        ),
      }),
    }),
    async (req) => {
      const { id } = req.params as { id: string };
      const q = req.query as { from?: string; to?: string; stream?: number };
      if (!controller.state().cameras.some((c) => c.id === id))
        throw new VigilError('NOT_FOUND', `no camera ${id}`, 404);
      const { from, to } = askedRange(q, Date.now(), MAX_TIMELINE_MS, 'the timeline');
      const recorded = await store.recordings(id, from, to, q.stream ?? 0);
      const t = timeline(recorded, from, to);
      // A failover that opened up to a day before the range (one still waiting) or up to the look-back
      // after its end (the hole starts before the entry opens) may explain one of its gaps.
      const entries = t.gaps.length ? await store.failoversStarted(from - 86_400_000, to + LOOKBACK_MS) : [];
      return {
        camera: id,
        from,
        to,
        intervals: t.intervals,
        gaps: gapCauses(id, t.gaps, entries, Date.now()),
        recorded: recorded.map((r) => ({ server: r.server, startMs: r.startMs, endMs: r.endMs })),
      };
    },
  );

  app.get('/api/v1/config', read('the farm configuration (credentials redacted)', FarmConfig), async () => {
    const c = configOfSnapshot(controller.state());
    return {
      ...c,
      cameras: c.cameras.map((cam) => ({
        ...cam,
        url: redactCredentials(cam.url),
        ...(cam.streams && { streams: cam.streams.map((x) => ({ ...x, url: redactCredentials(x.url) })) }),
      })),
    };
  });

  app.put(
    '/api/v1/config',
    {
      schema: {
        summary: 'replace the farm configuration; refused whole, every problem listed',
        body: FarmConfig,
        response: { 200: Type.Object({ ok: Type.Boolean(), warnings: Type.Array(Type.String()) }), '4xx': ErrorBody },
      },
      // The body schema documents; parseFarmConfig validates, so that unknown keys are refused
      // (Fastify's own validator would strip them) and every problem is named at once.
      validatorCompiler: () => () => true,
      bodyLimit: BODY_LIMITS.config,
    },
    async (req) => {
      const { warnings, summary } = await d.applyConfig(req.body, actorOf(req));
      setAuditSummary(req, summary);
      return { ok: true, warnings };
    },
  );

  const Id = Type.Object({ id: Type.String({ minLength: 1, maxLength: 200 }) });
  const action = (
    path: string,
    summary: string,
    run: (id: string, body: unknown, actor: string | undefined) => Promise<unknown>,
    body?: object,
  ) =>
    app.post(
      path,
      {
        schema: {
          summary,
          params: Id,
          ...(body && { body }),
          response: { 200: Type.Union([FailoverView, Type.Null()]), '4xx': ErrorBody },
        },
        bodyLimit: BODY_LIMITS.action,
      },
      async (req) => {
        return (await run((req.params as { id: string }).id, req.body, actorOf(req))) ?? null;
      },
    );
  action(
    '/api/v1/servers/:id/failover',
    "an operator's failover: the server's cameras move as if it had failed; a running server comes back as its group's onReturn says",
    (id, _, actor) => controller.manualFailover(id, actor),
  );
  action(
    '/api/v1/servers/:id/drain',
    "maintenance: the server's cameras move away make-before-break (no gap); it is not failed over until resumed",
    (id, _, actor) => controller.drain(id, actor),
  );
  action(
    '/api/v1/servers/:id/resume',
    "ends maintenance: the server's own cameras come back make-before-break; null when none was away",
    (id, _, actor) => controller.resume(id, actor),
  );
  action('/api/v1/servers/:id/failback', "the server's own cameras come home make-before-break", (id, _, actor) =>
    controller.failback(id, actor),
  );
  action(
    '/api/v1/cameras/:id/move',
    'moves one camera to another server of its group, make-before-break',
    (id, body, actor) => controller.moveCamera(id, (body as { to: string }).to, actor),
    Type.Object({ to: Type.String({ minLength: 1, maxLength: 200 }) }, { additionalProperties: false }),
  );

  app.post(
    NODE_CHANNEL_ROUTES.status,
    { schema: { body: NodeStatus, response: { 200: StatusReply } }, bodyLimit: BODY_LIMITS.status },
    async (req) => {
      // The master's clock at arrival and how long it held the status: the node's round trip minus
      // this hold is network time, which bounds the error of its offset estimate (clock-offset.ts).
      const masterTimeMs = Date.now();
      const held = performance.now();
      const { id } = req.params as { id: string };
      if (!controller.state().servers.some((s) => s.id === id))
        throw new VigilError('NOT_FOUND', `no server ${id} in the farm configuration`, 404);
      clocks.heard(id, req.body as NodeStatus, masterTimeMs);
      const status = req.body as NodeStatus;
      await controller.onStatus(id, status);
      d.onStatusTaken?.();
      if (status.held) d.onHeld?.(id, status.held);
      return { generation: controller.generation, masterTimeMs, masterHeldMs: performance.now() - held };
    },
  );

  app.get(NODE_CHANNEL_ROUTES.assignment, async (req, reply) => {
    const { id } = req.params as { id: string };
    const q = req.query as { after?: string; term?: string };
    const after = Number(q.after ?? -1);
    // A server holding another term's assignment hears this one at once (a takeover, a raised term).
    const heldTerm = q.term === undefined ? undefined : Number(q.term);
    const unknown = () => new VigilError('NOT_FOUND', `no server ${id} in the farm configuration`, 404);
    // Before the wait: a name that is no server holds no long poll.
    if (!controller.state().servers.some((s) => s.id === id)) throw unknown();
    // One wait per server: its second poll (it reconnected) ends the first, which answers at once.
    const poll = longPolls.enter(id);
    if (!poll)
      throw new VigilError(
        'TOO_MANY_REQUESTS',
        `too many long polls waiting (at most ${limits.longPollsTotal} in all)`,
      );
    const gone = new AbortController();
    reply.raw.once('close', () => gone.abort());
    try {
      if (heldTerm === undefined || heldTerm === controller.state().term)
        await controller.waitForChange(after, LONG_POLL_MS, AbortSignal.any([poll.signal, gone.signal]));
    } finally {
      poll.leave();
    }
    const a = controller.serveAssignment(id);
    if (!a) throw unknown();
    return a;
  });
}
