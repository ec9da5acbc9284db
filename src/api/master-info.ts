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
  leader: Type.Boolean({ description: 'whether this master leads: holds the lease and decides (else a standby)' }),
  term: Type.Integer({
    description: 'the term of the leader it knows of (each new leader takes the next one; assignments carry it)',
  }),
  leaderId: Type.Optional(Type.String({ description: 'the master that leads, as this one last saw the lease' })),
  leaderUrl: Type.Optional(Type.String()),
  store: Type.Union([Type.Literal('sqlite'), Type.Literal('postgresql')]),
});
export type MasterInfo = Static<typeof MasterInfo>;

/** A master that watches the lease, as the store last saw it. */
export const MasterSeen = Type.Object({
  id: Type.String(),
  url: Type.String(),
  bootId: Type.String(),
  version: Type.String(),
  seenAgoMs: Type.Integer({ description: "how long ago it last looked at the lease (the store's clock)" }),
});
export type MasterSeen = Static<typeof MasterSeen>;

/** GET /api/v1/master: this master, and every master the store has seen. */
export const MasterAnswer = Type.Intersect([MasterInfo, Type.Object({ masters: Type.Array(MasterSeen) })]);
export type MasterAnswer = Static<typeof MasterAnswer>;

/** GET /api/v1/master: which master this is, which leads, and the masters seen (a standby answers it itself). */
export function registerMasterRoute(
  app: FastifyInstance,
  info: () => MasterInfo,
  masters: () => Promise<MasterSeen[]>,
): void {
  app.get(
    '/api/v1/master',
    {
      schema: {
        summary: 'the master answering: name, version, start, whether it leads, which leads; the masters seen',
        response: { 200: MasterAnswer, '4xx': ErrorBody, '5xx': ErrorBody },
      },
    },
    async () => ({ ...info(), masters: await masters().catch(() => []) }),
  );
}
