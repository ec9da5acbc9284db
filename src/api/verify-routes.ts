import type { FastifyInstance } from 'fastify';
import { Type } from '@sinclair/typebox';
import type { Controller } from '../controller/controller.ts';
import type { Store } from '../store/store.ts';
import type { ClientTls } from '../lib/http/tls.ts';
import { VigilError } from '../lib/errors.ts';
import { askedRange } from '../lib/time-range.ts';
import { NodeClient } from '../node-client/node-client.ts';
import { ErrorBody } from './schemas.ts';
import { VerifyReport } from '../verify/verify-report.ts';
import { verifyCamera } from '../verify/verify-camera.ts';
import { DAY_MS_VERIFY } from '../verify/verify-limits.ts';

/** What the verify route uses of the master. */
export interface VerifyDeps {
  controller: Pick<Controller, 'state' | 'apiUrlOf'>;
  store: Pick<Store, 'segments' | 'recordings'>;
  /** The master's certificate and the farm CA, to call the servers. */
  nodeTls: ClientTls;
}

/** A server gets this long to hash an hour of a camera's files. */
const FILES_TIMEOUT_MS = 120_000;

/**
 * GET /api/v1/verify: the master's timeline of a camera stream against the files on every server
 * that has footage of it — existence, size, hash — every difference listed (verify-camera.ts).
 */
export function registerVerifyRoutes(app: FastifyInstance, d: VerifyDeps): void {
  const client = new NodeClient({ tls: d.nodeTls });
  app.addHook('onClose', async () => client.close());
  app.get(
    '/api/v1/verify',
    {
      schema: {
        summary:
          "compares the master's timeline of a camera with the files on every server that has footage of it (existence, size, SHA-256) and lists every difference",
        querystring: Type.Object({
          camera: Type.String({ minLength: 1, maxLength: 200 }),
          stream: Type.Optional(Type.Integer({ minimum: 0, maximum: 99, default: 0 })),
          from: Type.Optional(Type.String({ description: 'epoch ms or ISO 8601; default: to - 1 h' })),
          to: Type.Optional(Type.String({ description: 'epoch ms or ISO 8601; default: now' })),
        }),
        response: { 200: VerifyReport, '4xx': ErrorBody, '5xx': ErrorBody },
      },
    },
    async (req) => {
      const q = req.query as { camera: string; stream?: number; from?: string; to?: string };
      const f = d.controller.state();
      const camera = f.cameras.find((c) => c.id === q.camera);
      if (!camera) throw new VigilError('NOT_FOUND', `no camera ${q.camera}`, 404);
      const { from, to } = askedRange(q, Date.now(), DAY_MS_VERIFY, 'a verify');
      return verifyCamera(
        {
          segments: (c, fromMs, toMs, stream) => d.store.segments(c, fromMs, toMs, stream),
          recordings: (c, fromMs, toMs, stream) => d.store.recordings(c, fromMs, toMs, stream),
          serversOf: () => [camera.home, camera.current],
          configured: (s) => d.controller.state().servers.some((x) => x.id === s),
          files: async (server, cam, stream, fromMs, toMs) => {
            const base = d.controller.apiUrlOf(server);
            if (!base) throw new Error('it has not told which port its API listens on');
            const list = await client.files(
              base,
              { camera: cam, stream, from: fromMs, to: toMs },
              AbortSignal.timeout(FILES_TIMEOUT_MS),
            );
            return list;
          },
        },
        camera.id,
        q.stream ?? 0,
        from,
        to,
      );
    },
  );
}
