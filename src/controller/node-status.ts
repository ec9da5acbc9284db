import { Type, type Static } from '@sinclair/typebox';

/** What a recording server reports to the master every StatusIntervalMs (and at once when its suspects change). */
export const NodeStatus = Type.Object({
  bootId: Type.String({ maxLength: 64 }),
  apiUrl: Type.Optional(Type.String({ maxLength: 300, pattern: '^https?://', description: "where this server's playback API (NodeApi) listens" })),
  suspects: Type.Array(Type.String(), { description: 'buddies this server has not heard for FarmHealthMissedUdpMs' }),
  cameras: Type.Record(
    Type.String(),
    Type.Object({
      state: Type.Union([Type.Literal('starting'), Type.Literal('recording'), Type.Literal('stalled')]),
      lastSegmentEndMs: Type.Optional(Type.Number()),
      restarts: Type.Optional(Type.Integer()),
    }),
  ),
  segments: Type.Array(Type.Object({ camera: Type.String(), startMs: Type.Number(), endMs: Type.Number() }), { maxItems: 5000 }),
  udp: Type.Optional(
    Type.Object({
      sent: Type.Integer(),
      accepted: Type.Integer(),
      dropped: Type.Record(Type.String(), Type.Integer()),
    }),
  ),
});
export type NodeStatus = Static<typeof NodeStatus>;

/** What the master tells a recording server to do. */
export interface Assignment {
  term: number;
  generation: number;
  server: { id: string; host: string; udpPort: number };
  cameras: { id: string; url: string }[];
  buddies: { id: string; host: string; port: number }[];
  settings: {
    AliveIntervalMs: number;
    FarmHealthStartDelayMs: number;
    FarmHealthSockTimeoutMs: number;
    FarmHealthMissedUdpMs: number;
    StatusIntervalMs: number;
  };
}
