import { Type, type Static } from '@sinclair/typebox';
import type { FastifyInstance } from 'fastify';
import { ErrorBody } from './schemas.ts';

/** Which master answers, and whether it leads (the console's header, `vigil status`, the service channel's snapshot). */
export const MasterInfo = Type.Object({
  id: Type.String({ description: "the master's name (--id, else host:port)" }),
  url: Type.String({ description: 'the address it listens on' }),
  version: Type.String(),
  bootId: Type.String({ description: 'new at each start of the master; the service channel ids carry it' }),
  startedAtMs: Type.Integer(),
  leader: Type.Boolean({ description: 'whether this master decides (always true until masters are replicated)' }),
  term: Type.Integer({ description: 'the leader term its assignments carry' }),
  store: Type.Union([Type.Literal('sqlite'), Type.Literal('postgresql')]),
});
export type MasterInfo = Static<typeof MasterInfo>;

/** GET /api/v1/master: which master this is. */
export function registerMasterRoute(app: FastifyInstance, info: () => MasterInfo): void {
  app.get(
    '/api/v1/master',
    {
      schema: {
        summary: 'the master answering: name, version, start, whether it leads',
        response: { 200: MasterInfo, '4xx': ErrorBody, '5xx': ErrorBody },
      },
    },
    async () => info(),
  );
}
