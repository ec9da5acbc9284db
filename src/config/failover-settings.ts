import { Type, type Static } from '@sinclair/typebox';

/**
 * How a redundancy group fails over, as in the products users come from:
 * spare (Symphony N+1), standby (XProtect cold standby), hot (XProtect hot standby), distribute
 * (Nx-style spreading over the survivors).
 */
export const Policy = Type.Union(
  [Type.Literal('spare'), Type.Literal('standby'), Type.Literal('hot'), Type.Literal('distribute')],
  {
    description:
      'spare: a running server with 0 cameras takes all cameras of the down server; standby: the failover servers take over in order, then the secondary ones; hot: the hot standby of the down server takes over from its pre-buffer; distribute: the cameras are spread over the running servers by spare capacity and priority',
  },
);
export type Policy = Static<typeof Policy>;

/** What becomes of a server that comes back: a spare (Symphony), it swaps roles with its taker (Mirasys), or its cameras come back to it (XProtect). */
export const OnReturn = Type.Union([Type.Literal('spare'), Type.Literal('swap'), Type.Literal('failback')], {
  description:
    'spare: it comes back empty; swap: it takes the role of the server that took over; failback: its cameras move back to it (make-before-break) and their footage is copied back',
});
export type OnReturn = Static<typeof OnReturn>;

export const TRIGGERS = ['buddy-quorum', 'status-lost', 'storage-failed', 'recording-failed', 'manual'] as const;
export type Trigger = (typeof TRIGGERS)[number];
export const TriggerName = Type.Union(TRIGGERS.map((t) => Type.Literal(t)));

export const Priority = Type.Union(
  [Type.Literal('high'), Type.Literal('medium'), Type.Literal('low'), Type.Literal('never')],
  {
    description:
      'order in which cameras find a place when capacity is short (distribute); never: not moved by a failover',
  },
);
export type Priority = Static<typeof Priority>;

export const FailoverMode = Type.Union([Type.Literal('full'), Type.Literal('live-only'), Type.Literal('none')], {
  description:
    'full: recorded by the failover server; live-only: the failover server relays live view but does not record; none: stays on its server',
});
export type FailoverMode = Static<typeof FailoverMode>;

/** Group-level failover settings (all optional; defaults below). */
export const GroupFailover = {
  policy: Type.Optional(Policy),
  onReturn: Type.Optional(OnReturn),
  triggers: Type.Optional(
    Type.Array(TriggerName, {
      uniqueItems: true,
      description: 'what fails a server over in this group (default: all)',
    }),
  ),
  failbackAfterMs: Type.Optional(
    Type.Integer({
      minimum: 0,
      maximum: 86_400_000,
      description:
        'onReturn failback: fail back automatically once the returned server has been healthy this long (absent: only on request)',
    }),
  ),
  failoverServers: Type.Optional(
    Type.Array(Type.String(), {
      uniqueItems: true,
      description: 'standby: the primary failover servers, in the order they take over',
    }),
  ),
  secondaryFailoverServers: Type.Optional(
    Type.Array(Type.String(), {
      uniqueItems: true,
      description: 'standby: used when every primary failover server is busy',
    }),
  ),
};

/** Server-level failover settings. */
export const ServerFailover = {
  enabled: Type.Optional(
    Type.Boolean({
      default: true,
      description: 'false: never a failover target (a failover waiting for a server resumes when it is enabled)',
    }),
  ),
  maxCameras: Type.Optional(
    Type.Integer({
      minimum: 1,
      maximum: 100_000,
      description: 'the most cameras this server records, also after failovers',
    }),
  ),
  hotStandbyFor: Type.Optional(
    Type.String({ description: 'hot: the recording server whose cameras this server pre-buffers and takes over' }),
  ),
};

/** Camera-level failover settings. */
export const CameraFailover = {
  priority: Type.Optional(Priority),
  failoverMode: Type.Optional(FailoverMode),
};

/** A group's failover settings with defaults. */
export interface GroupFailoverSettings {
  policy: Policy;
  onReturn: OnReturn;
  triggers: Trigger[];
  failbackAfterMs?: number;
  failoverServers: string[];
  secondaryFailoverServers: string[];
}

/** A group's failover settings with every omitted one at its default (policy spare, all triggers, …). */
export function groupFailoverDefaults(g: Partial<GroupFailoverSettings>): GroupFailoverSettings {
  return {
    policy: g.policy ?? 'spare',
    onReturn: g.onReturn ?? 'spare',
    triggers: g.triggers ?? [...TRIGGERS],
    ...(g.failbackAfterMs !== undefined && { failbackAfterMs: g.failbackAfterMs }),
    failoverServers: g.failoverServers ?? [],
    secondaryFailoverServers: g.secondaryFailoverServers ?? [],
  };
}

type Loose = Record<string, unknown>;

/**
 * Cross-checks of the failover settings on input of any shape, named by config path: failover
 * servers exist, are in the group, belong to one list only and hold no cameras; a hot standby
 * shadows a server of its own group, one each, and holds no cameras.
 */
export function failoverCheck(groups: Loose[], servers: Loose[], cameras: Loose[]): string[] {
  const out: string[] = [];
  const serverGroup = new Map(servers.map((s) => [s.id, s.group]));
  const holds = new Set(cameras.map((c) => c.server));
  groups.forEach((g, i) => {
    const seen = new Map<unknown, string>();
    for (const list of ['failoverServers', 'secondaryFailoverServers'] as const) {
      const ids = g[list];
      if (!Array.isArray(ids)) continue;
      ids.forEach((id, j) => {
        const at = `/groups/${i}/${list}/${j}`;
        if (!serverGroup.has(id)) out.push(`${at}: unknown server ${JSON.stringify(id)}`);
        else if (serverGroup.get(id) !== g.id) out.push(`${at}: server ${String(id)} is not in group ${String(g.id)}`);
        if (seen.has(id)) out.push(`${at}: server ${String(id)} is already a failover server in ${seen.get(id)}`);
        else seen.set(id, list);
        if (holds.has(id)) out.push(`${at}: failover server ${String(id)} must hold no cameras`);
      });
    }
    if (g.policy === 'standby' && !(Array.isArray(g.failoverServers) && g.failoverServers.length))
      out.push(`/groups/${i}/failoverServers: policy standby needs at least one failover server`);
    if (g.failbackAfterMs !== undefined && g.onReturn !== 'failback')
      out.push(`/groups/${i}/failbackAfterMs: only with onReturn "failback"`);
  });
  const shadowed = new Map<unknown, unknown>();
  const policyOf = new Map(groups.map((g) => [g.id, g.policy]));
  servers.forEach((s, i) => {
    if (s.hotStandbyFor === undefined) return;
    const at = `/servers/${i}/hotStandbyFor`;
    if (!serverGroup.has(s.hotStandbyFor)) out.push(`${at}: unknown server ${JSON.stringify(s.hotStandbyFor)}`);
    else if (serverGroup.get(s.hotStandbyFor) !== s.group)
      out.push(`${at}: server ${String(s.hotStandbyFor)} is not in group ${String(s.group)}`);
    if (s.hotStandbyFor === s.id) out.push(`${at}: a server cannot be its own hot standby`);
    if (policyOf.get(s.group) !== 'hot') out.push(`${at}: group ${String(s.group)} does not have policy "hot"`);
    if (shadowed.has(s.hotStandbyFor))
      out.push(
        `${at}: server ${String(s.hotStandbyFor)} already has hot standby ${String(shadowed.get(s.hotStandbyFor))}`,
      );
    shadowed.set(s.hotStandbyFor, s.id);
    if (holds.has(s.id)) out.push(`/servers/${i}: hot standby ${String(s.id)} must hold no cameras`);
  });
  return out;
}
