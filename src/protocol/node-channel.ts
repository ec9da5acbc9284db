import { Type, type Static } from '@sinclair/typebox';

// The master's routes a recording server calls: its status up, its assignment down (long-polled).

/** The master's routes of the node channel, as the master registers them. */
export const NODE_CHANNEL_ROUTES = {
  status: '/api/v1/nodes/:id/status',
  assignment: '/api/v1/nodes/:id/assignment',
} as const;

/** POST: a recording server's status (body: NodeStatus). */
export function nodeStatusPath(serverId: string): string {
  return `/api/v1/nodes/${encodeURIComponent(serverId)}/status`;
}

/**
 * GET: a recording server's assignment, long-polled until its generation differs from `after`; at once
 * when `term` (the one of the assignment the server holds) is not the master's: a new term is news.
 */
export function nodeAssignmentPath(serverId: string, after: number, term?: number): string {
  const path = `/api/v1/nodes/${encodeURIComponent(serverId)}/assignment?after=${after}`;
  return term === undefined ? path : `${path}&term=${term}`;
}

/** The master's answer to a status: its generation, and its clock, from which the node estimates its own offset. */
export const StatusReply = Type.Object({
  generation: Type.Integer(),
  masterTimeMs: Type.Optional(
    Type.Number({
      description:
        "the master's clock when the status arrived (farm time); the server sends it back as answeredAtMs in its next status, which tells a status sent after a verdict from one sent before it",
    }),
  ),
  masterHeldMs: Type.Optional(
    Type.Number({ description: 'how long the master held the status before answering (not network time)' }),
  ),
});
/** The master's answer to a status. */
export type StatusReply = Static<typeof StatusReply>;
