import { Type, type Static } from '@sinclair/typebox';
import { TRIGGERS } from '../config/failover-settings.ts';
import { CopyJob, CopyProgress } from '../protocol/copy-job.ts';

// The failover log: one schema for the controller that writes it, the store that keeps it, the
// API that serves it and the CLI that prints it.

const literals = <T extends string>(names: readonly T[], description?: string) =>
  Type.Union(
    names.map((n) => Type.Literal(n)),
    description ? { description } : {},
  );

/**
 * What fails a server over: its group's triggers, a configuration that places cameras on a server
 * down, and a takeover (the last leader found the server down and died before it logged the failover).
 */
export const FAILURE_TRIGGERS = [...TRIGGERS, 'config-change', 'takeover'] as const;
/** What starts a planned make-before-break handover. */
export const PLANNED_TRIGGERS = ['drain', 'resume', 'move', 'failback'] as const;
/** Why an entry of the failover log was started. */
export const FailoverTrigger = literals(
  [...FAILURE_TRIGGERS, ...PLANNED_TRIGGERS],
  'failures: buddy-quorum | status-lost | storage-failed | recording-failed | manual | config-change | takeover; planned (make-before-break): drain | resume | move | failback',
);
/** Why an entry of the failover log was started. */
export type FailoverTrigger = Static<typeof FailoverTrigger>;
/** A trigger of a failure (not of a planned handover). */
export type FailureTrigger = (typeof FAILURE_TRIGGERS)[number];
/** A trigger of a planned handover. */
export type PlannedTrigger = (typeof PLANNED_TRIGGERS)[number];

/** Where an entry of the failover log is. */
export const FailoverStatus = literals(
  ['running', 'done', 'waiting', 'queued', 'cancelled', 'skipped', 'failed'] as const,
  'running | done | waiting (for a free server) | queued (behind another failover of its group) | cancelled | skipped | failed',
);
/** Where an entry of the failover log is. */
export type FailoverStatus = Static<typeof FailoverStatus>;

/**
 * The steps a failover or handover logs, in the order they usually come: detect (confirmed down),
 * queued/dequeued (behind another failover of its group), plan, commit (store written), assigned
 * (a target fetched its assignment), recording (a target delivered the camera), resume (a waiting
 * failover found a place), resumed (a handover taken up after a master restart), abandoned.
 */
export const StepName = literals([
  'detect',
  'queued',
  'dequeued',
  'plan',
  'commit',
  'assigned',
  'recording',
  'resume',
  'resumed',
  'abandoned',
] as const);
/** The name of a step of the failover log. */
export type StepName = Static<typeof StepName>;

/** One timed step; `ms` is since the step before (plan, commit) or since the confirmation. */
export const FailoverStep = Type.Object({
  step: StepName,
  at: Type.Number(),
  ms: Type.Number(),
  camera: Type.Optional(Type.String()),
  server: Type.Optional(Type.String({ description: 'the target an "assigned" step is about' })),
});
/** One timed step of the failover log. */
export type FailoverStep = Static<typeof FailoverStep>;

/** One camera moved by a failover or handover. */
export const FailoverMove = Type.Object({
  camera: Type.String(),
  from: Type.String(),
  to: Type.String(),
  mode: Type.Optional(
    Type.Union([Type.Literal('record'), Type.Literal('live')], {
      description: 'live: relayed live view only (failover mode live-only)',
    }),
  ),
  recordingAt: Type.Optional(Type.Number({ description: 'when its new server delivered it' })),
  lostAt: Type.Optional(
    Type.Number({ description: 'its new server failed before it recorded it (a later failover moved it on)' }),
  ),
});
/** One camera moved by a failover or handover. */
export type FailoverMove = Static<typeof FailoverMove>;

/** A copy-back job as the master keeps it: footage of one camera stream on one other server, to copy home. */
export const CopyBackJob = Type.Composite([
  // The job as a home server is handed it (protocol/copy-job.ts), less the source's URL: known only
  // while the source runs, it is filled in when the job is handed out.
  Type.Pick(CopyJob, ['id', 'camera', 'stream', 'fromMs', 'toMs']),
  Type.Object({
    logId: Type.Integer({ description: 'the failback entry of the failover log' }),
    home: Type.String({ description: 'where the footage goes' }),
    source: Type.String({
      description: 'where it was recorded during the failover; released there only once verified at home',
    }),
    notBefore: Type.Number({ description: 'not handed to the home server before this time' }),
    state: literals(['pending', 'running', 'done', 'failed'] as const),
    progress: Type.Optional(CopyProgress),
    error: Type.Optional(Type.String()),
  }),
]);
/** A copy-back job as the master keeps it. */
export type CopyBackJob = Static<typeof CopyBackJob>;

/** The detail of an entry of the failover log. */
export const FailoverDetail = Type.Object(
  {
    reporters: Type.Array(Type.String()),
    firstReportAt: Type.Number(),
    confirmedAt: Type.Number(),
    planned: Type.Optional(Type.Boolean({ description: 'a make-before-break handover, not a failure' })),
    targets: Type.Optional(Type.Array(Type.String(), { description: 'every server that took cameras' })),
    target: Type.Optional(Type.String({ description: 'the first of targets' })),
    reason: Type.Optional(Type.String()),
    actor: Type.Optional(
      Type.String({
        description:
          'who asked for it (a manual failover, drain, resume, failback, move), as the audit log names them: user:alice, token:alice/ci',
      }),
    ),
    moves: Type.Array(FailoverMove),
    unrecorded: Type.Array(Type.String()),
    steps: Type.Array(FailoverStep),
    returnedAt: Type.Optional(Type.Number({ description: 'when the failed server spoke again' })),
    copyBack: Type.Optional(Type.Array(CopyBackJob, { description: 'failback: footage copied home' })),
  },
  // Entries written by older versions may hold more.
  { additionalProperties: true },
);
/** The detail of an entry of the failover log. */
export type FailoverDetail = Static<typeof FailoverDetail>;

/** An entry of the failover log: one failover or one planned handover. */
export const FailoverEntry = Type.Object({
  id: Type.Integer(),
  startedAt: Type.Number(),
  server: Type.String(),
  group: Type.Integer(),
  trigger: FailoverTrigger,
  status: FailoverStatus,
  detail: FailoverDetail,
});
/** An entry of the failover log: one failover or one planned handover. */
export type FailoverEntry = Static<typeof FailoverEntry>;

/** A timed step: `ms` since `since`. */
export function step(name: StepName, at: number, since: number, about?: { camera?: string; server?: string }) {
  return { step: name, at, ms: at - since, ...about } satisfies FailoverStep;
}

/** The servers that took cameras, sorted, and the first of them (kept for readers of the log). */
export function withTargets(d: FailoverDetail): FailoverDetail {
  const targets = [...new Set(d.moves.map((m) => m.to))].sort();
  return { ...d, targets, target: targets[0] };
}
