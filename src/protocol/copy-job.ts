import { Type, type Static } from '@sinclair/typebox';

/**
 * A copy-back job as the master hands it to a home server: footage of one camera stream that lies on
 * another server (the source) and belongs back home.
 */
export const CopyJob = Type.Object({
  id: Type.String(),
  camera: Type.String(),
  stream: Type.Integer(),
  source: Type.Object({
    server: Type.String(),
    url: Type.String({ description: "the source's NodeApi base URL" }),
  }),
  fromMs: Type.Number(),
  toMs: Type.Number(),
});
/** A copy-back job as the master hands it to a home server. */
export type CopyJob = Static<typeof CopyJob>;

/** How far a copy-back job is: as a node reports it and as the master shows it. */
export const CopyProgress = Type.Object({
  segments: Type.Integer(),
  segmentsDone: Type.Integer(),
  bytes: Type.Number(),
  bytesDone: Type.Number(),
  percent: Type.Number(),
  rateBytesPerSec: Type.Number(),
  etaMs: Type.Union([Type.Number(), Type.Null()], { description: 'null while unknown' }),
});
/** How far a copy-back job is. */
export type CopyProgress = Static<typeof CopyProgress>;

/** A copy-back job's state on its home server; 'running' also while queued behind another job. */
export const CopyJobState = Type.Union([Type.Literal('running'), Type.Literal('done'), Type.Literal('failed')]);

/** A copy-back job as its home server reports it in its status: the job, its state and its progress. */
export const CopyJobStatus = Type.Composite([
  CopyJob,
  Type.Object({ state: CopyJobState, error: Type.Optional(Type.String()) }),
  CopyProgress,
]);
/** A copy-back job as its home server reports it. */
export type CopyJobStatus = Static<typeof CopyJobStatus>;
