import type { FastifyInstance } from 'fastify';
import { Type } from '@sinclair/typebox';
import type { Controller } from '../controller/controller.ts';
import type { Store } from '../store/store.ts';
import { NodeStatus } from '../protocol/status.ts';
import { NODE_CHANNEL_ROUTES } from '../protocol/node-channel.ts';
import { FarmConfig } from '../config/farm-config.ts';
import { ErrorBody, ServerView, CameraView, FailoverView, TimelineView, CopyBackView } from './schemas.ts';
import { timeline } from '../playback/timeline.ts';
import { liveRelayOf } from '../controller/assignment.ts';
import { VigilError } from '../lib/errors.ts';
import { bearerAuth } from '../lib/http/bearer-auth.ts';
import { askedRange } from '../lib/time-range.ts';
import { redactCredentials } from '../lib/redact.ts';
import { registerPlaybackRoutes } from './playback-routes.ts';
import { registerEnrollRoutes } from './enroll-routes.ts';
import type { Enrollment } from '../auth/enrollment.ts';
import { serverSelf, type IdentifyServer } from '../auth/server-identity.ts';
import type { ClientTls } from '../lib/http/tls.ts';

export interface RouteDeps {
  controller: Controller;
  store: Store;
  /** Bearer token of operators (derived from the farm key). */
  apiToken: Buffer;
  /** How the master calls the recording servers: its farm certificate, the farm CA (farmClientTls). */
  nodeTls: ClientTls;
  /** The enrolled server that made a request, by its client certificate (the node channel's credential). */
  identify: IdentifyServer;
  enrollment: Enrollment;
  /** The farm CA certificate, PEM (GET /api/v1/ca.pem). */
  caPem: string;
  /** Applies a configuration as given (validated, storage checked on the servers; see applyFarmConfig). */
  applyConfig: (input: unknown) => Promise<{ warnings: string[] }>;
}

const LONG_POLL_MS = 20_000;

/** The master's HTTP API: the read API for clients and tests, and the node channel. */
export function registerRoutes(app: FastifyInstance, d: RouteDeps): void {
  const { controller, store } = d;
  // Writes need the token, the node channel a server's own certificate; the hooks run before the body is read.
  const onRequest = bearerAuth(d.apiToken, 'farm key');
  const server = serverSelf(d.identify);

  const read = (summary: string, response: unknown, extra: Record<string, unknown> = {}) => ({
    schema: { summary, response: { 200: response, '4xx': ErrorBody }, ...extra },
  });

  app.get('/api/v1/openapi.json', { schema: { hide: true } }, async () => app.swagger());

  app.get(
    '/api/v1/health',
    read('master is up', Type.Object({ ok: Type.Boolean(), generation: Type.Integer() })),
    async () => ({ ok: true, generation: controller.generation }),
  );

  app.get('/api/v1/servers', read('recording servers: role, state, cameras', Type.Array(ServerView)), async () => {
    const f = controller.state();
    return f.servers.map((s) => {
      const cameras = f.cameras.filter((c) => c.current === s.id).map((c) => c.id);
      const live = controller.liveOf(s.id);
      return {
        id: s.id,
        group: s.group,
        host: s.host,
        role: cameras.length ? 'active' : 'redundant',
        state: s.state,
        cameras,
        lastStatusAt: live?.at ?? null,
        downSince: s.downSince,
        suspects: live?.status.suspects ?? [],
        udp: live?.status.udp ?? null,
        storage: live?.status.storage ?? null,
        recordingFailed: live?.status.recordingFailed ?? false,
        maintenance: !!s.runtime.maintenance,
        enabled: s.enabled !== false,
        swappedWith: s.runtime.swappedWith ?? null,
      };
    });
  });

  app.get(
    '/api/v1/cameras',
    read('cameras: home and current server, recording state', Type.Array(CameraView)),
    async () => {
      const f = controller.state();
      const handovers = new Map(
        controller
          .handoversUnderWay()
          .map((h) => [h.camera, { from: h.from, to: h.to, reason: h.reason, startedAt: h.startedAt }]),
      );
      return f.cameras.map((c) => {
        const server = f.servers.find((s) => s.id === c.current);
        const st = controller.liveOf(c.current)?.status.cameras[c.id];
        const recording = !server || server.state === 'down' ? 'unrecorded' : (st?.state ?? 'unknown');
        return {
          id: c.id,
          url: redactCredentials(c.url),
          homeServer: c.home,
          currentServer: c.current,
          movable: c.movable,
          recording,
          lastSegmentEndMs: st?.lastSegmentEndMs ?? null,
          streams: (c.streams ?? []).map((x, i) => ({
            url: redactCredentials(x.url),
            recording: recording === 'unrecorded' ? recording : (st?.streams?.[i]?.state ?? 'unknown'),
          })),
          liveRelay: liveRelayOf(f, c) ?? null,
          handover: handovers.get(c.id) ?? null,
        };
      });
    },
  );

  registerPlaybackRoutes(app, d);
  registerEnrollRoutes(app, { enrollment: d.enrollment, caPem: d.caPem, admin: onRequest });

  app.get('/api/v1/failovers', read('the failover log', Type.Array(FailoverView)), async () => store.failovers());

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
      const { from, to } = askedRange(q, Date.now());
      const recorded = await store.recordings(id, from, to, q.stream ?? 0);
      return {
        camera: id,
        from,
        to,
        ...timeline(recorded, from, to),
        recorded: recorded.map((r) => ({ server: r.server, startMs: r.startMs, endMs: r.endMs })),
      };
    },
  );

  app.get('/api/v1/config', read('the farm configuration (credentials redacted)', FarmConfig), async () => {
    const f = controller.state();
    return {
      settings: f.settings,
      groups: f.groups,
      servers: f.servers.map((s) => ({
        id: s.id,
        group: s.group,
        host: s.host,
        ...(s.udpPort ? { udpPort: s.udpPort } : {}),
        ...(s.storage && { storage: s.storage }),
        ...(s.enabled !== undefined && { enabled: s.enabled }),
        ...(s.maxCameras !== undefined && { maxCameras: s.maxCameras }),
        ...(s.hotStandbyFor !== undefined && { hotStandbyFor: s.hotStandbyFor }),
      })),
      cameras: f.cameras.map((c) => ({
        id: c.id,
        url: redactCredentials(c.url),
        server: c.home,
        movable: c.movable,
        ...(c.audio !== undefined && { audio: c.audio }),
        ...(c.streams?.length && { streams: c.streams.map((x) => ({ ...x, url: redactCredentials(x.url) })) }),
        ...(c.storage && { storage: c.storage }),
        ...(c.priority && { priority: c.priority }),
        ...(c.failoverMode && { failoverMode: c.failoverMode }),
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
      onRequest,
    },
    async (req) => ({ ok: true, warnings: (await d.applyConfig(req.body)).warnings }),
  );

  const Id = Type.Object({ id: Type.String({ minLength: 1, maxLength: 200 }) });
  const action = (path: string, summary: string, run: (id: string, body: unknown) => Promise<unknown>, body?: object) =>
    app.post(
      path,
      {
        schema: {
          summary,
          params: Id,
          ...(body && { body }),
          response: { 200: Type.Union([FailoverView, Type.Null()]), '4xx': ErrorBody },
        },
        onRequest,
      },
      async (req) => {
        return (await run((req.params as { id: string }).id, req.body)) ?? null;
      },
    );
  action(
    '/api/v1/servers/:id/failover',
    "an operator's failover: the server's cameras move as if it had failed; a running server comes back as its group's onReturn says",
    (id) => controller.manualFailover(id),
  );
  action(
    '/api/v1/servers/:id/drain',
    "maintenance: the server's cameras move away make-before-break (no gap); it is not failed over until resumed",
    (id) => controller.drain(id),
  );
  action(
    '/api/v1/servers/:id/resume',
    "ends maintenance: the server's own cameras come back make-before-break; null when none was away",
    (id) => controller.resume(id),
  );
  action('/api/v1/servers/:id/failback', "the server's own cameras come home make-before-break", (id) =>
    controller.failback(id),
  );
  action(
    '/api/v1/cameras/:id/move',
    'moves one camera to another server of its group, make-before-break',
    (id, body) => controller.moveCamera(id, (body as { to: string }).to),
    Type.Object({ to: Type.String({ minLength: 1, maxLength: 200 }) }, { additionalProperties: false }),
  );

  app.post(NODE_CHANNEL_ROUTES.status, { schema: { body: NodeStatus }, onRequest: server }, async (req) => {
    const { id } = req.params as { id: string };
    if (!controller.state().servers.some((s) => s.id === id))
      throw new VigilError('NOT_FOUND', `no server ${id} in the farm configuration`, 404);
    await controller.onStatus(id, req.body as NodeStatus);
    return { generation: controller.generation };
  });

  app.get(NODE_CHANNEL_ROUTES.assignment, { onRequest: server }, async (req) => {
    const { id } = req.params as { id: string };
    const after = Number((req.query as { after?: string }).after ?? -1);
    await controller.waitForChange(after, LONG_POLL_MS);
    const a = controller.serveAssignment(id);
    if (!a) throw new VigilError('NOT_FOUND', `no server ${id} in the farm configuration`, 404);
    return a;
  });
}
