import type { Live } from '../controller/heard.ts';

/** One segment as either side holds it. */
export interface HeldSegment {
  startMs: number;
  /** A copy brought home: the server that recorded it. */
  recordedBy?: string;
  endMs: number;
  bytes?: number;
  sha256?: string;
}

/**
 * Whether a status is a server's (re)connection, after which its intervals at the master are
 * reconciled with its index: the first status this master hears from it, a new boot, a server the
 * master had down, or one silent for longer than FarmHealthMissedUdpMs (it was cut off). Pure.
 */
export function reconnected(
  prev: Pick<Live, 'at' | 'bootId'> | undefined,
  status: { bootId: string },
  serverState: string | undefined,
  at: number,
  settings: { FarmHealthMissedUdpMs: number },
): boolean {
  if (!prev || prev.bootId !== status.bootId) return true;
  return serverState === 'down' || at - prev.at > settings.FarmHealthMissedUdpMs;
}

/**
 * What the master must change of one server's hour of a camera stream so its rows match the
 * server's index: the segments to add (the index has them, the master not) and those to remove
 * (the master has them, the index no longer). Matched by start and recorder, as a file is named. Pure.
 */
export function reconcileHour(
  master: readonly HeldSegment[],
  node: readonly HeldSegment[],
): { add: HeldSegment[]; remove: HeldSegment[] } {
  const key = (s: HeldSegment) => `${s.startMs}\n${s.recordedBy ?? ''}`;
  const atMaster = new Set(master.map(key));
  const atNode = new Set(node.map(key));
  const add = [...new Map(node.filter((s) => !atMaster.has(key(s))).map((s) => [key(s), s])).values()];
  const remove = master.filter((s) => !atNode.has(key(s)));
  return { add, remove };
}
