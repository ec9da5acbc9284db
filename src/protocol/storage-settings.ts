import { Type, type Static } from '@sinclair/typebox';

// Part of the node<->master contract (an assignment carries them) and of the farm configuration.

/**
 * A recording server's storage settings, with Symphony's names ("Customizing Storage Settings") in
 * camelCase and Symphony's meanings.
 */
export const StorageSettings = Type.Object(
  {
    paths: Type.String({
      description:
        'semicolon-separated absolute paths to record to; the one prefixed with * is read from, e.g. "/data1;*/data2"',
    }),
    availability: Type.Optional(
      Type.Union([Type.Literal('failover'), Type.Literal('redundant')], {
        default: 'failover',
        description: 'failover: write to the first healthy path, the next when it fails; redundant: write every path',
      }),
    ),
    minFreeBytes: Type.Optional(
      Type.Integer({
        minimum: 0,
        default: 1024 ** 3,
        description: 'below this much free space on a path, its oldest footage is deleted',
      }),
    ),
    minFreePercent: Type.Optional(
      Type.Number({
        minimum: 0,
        maximum: 100,
        default: 0,
        description: 'below this share of free space on a path, its oldest footage is deleted',
      }),
    ),
    defaultMaxStorageDays: Type.Optional(
      Type.Integer({
        minimum: 0,
        default: 0,
        description: 'footage older than this is deleted even with space to spare; 0: no limit',
      }),
    ),
    keepMetadataLonger: Type.Optional(
      Type.Boolean({
        default: false,
        description: 'keep the index rows of deleted footage, for reporting, until metadataStorageDays',
      }),
    ),
    metadataStorageDays: Type.Optional(
      Type.Integer({
        minimum: 0,
        default: 0,
        description: 'with keepMetadataLonger: how long rows outlive their video; 0: no limit',
      }),
    ),
  },
  { additionalProperties: false },
);
/** Server storage settings as written in a config file (defaults not yet applied). */
export type StorageSettingsInput = Static<typeof StorageSettings>;

/** Per-camera overrides; a blank value means "use the server's setting", as in Symphony. */
export const CameraStorage = Type.Object(
  {
    paths: Type.Optional(Type.String({ description: "this camera's own storage paths, same form as the server's" })),
    maxStorageDays: Type.Optional(
      Type.Union([Type.String(), Type.Integer({ minimum: 0 })], {
        description:
          'days per stream, semicolon-separated: "3;20" = 3 days for the first stream, 20 for the second; "7": all streams',
      }),
    ),
  },
  { additionalProperties: false },
);
/** One camera's overrides as written in a config file. */
export type CameraStorageInput = Static<typeof CameraStorage>;
