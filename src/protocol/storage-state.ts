import { Type, type Static } from '@sinclair/typebox';

const PathState = Type.Object({
  path: Type.String(),
  healthy: Type.Boolean(),
  read: Type.Boolean({ description: 'the path marked * (read from)' }),
  failedSince: Type.Optional(Type.Number()),
  lastError: Type.Optional(Type.String()),
  space: Type.Optional(Type.Object({ totalBytes: Type.Number(), freeBytes: Type.Number() })),
});
const PathsState = Type.Object({
  availability: Type.Union([Type.Literal('failover'), Type.Literal('redundant')]),
  allFailed: Type.Boolean(),
  paths: Type.Array(PathState),
});
/** A recording server's storage as it reports it. */
export const StorageState = Type.Composite([
  PathsState,
  Type.Object({
    cameras: Type.Optional(
      Type.Record(Type.String(), PathsState, { description: 'paths of cameras with their own storage' }),
    ),
    retention: Type.Optional(
      Type.Object({
        rounds: Type.Integer(),
        deleted: Type.Record(Type.String(), Type.Integer(), {
          description: 'segment copies deleted, by reason (max-days, low-space)',
        }),
        deletedBytes: Type.Number(),
        failedDeletes: Type.Integer(),
        lastError: Type.Optional(Type.String()),
      }),
    ),
    problems: Type.Optional(
      Type.Array(Type.String(), { description: 'why the latest storage settings were not applied' }),
    ),
  }),
]);
/** A recording server's storage as it reports it. */
export type StorageState = Static<typeof StorageState>;
