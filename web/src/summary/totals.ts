/** The summary's totals: cameras recording, unrecorded (answering or not known, but not recorded), offline. */
export interface CameraTotals {
  cameras: number;
  recording: number;
  unrecorded: number;
  offline: number;
}

/** Counts the cameras by what matters at a glance: a camera is recorded, not recorded, or not answering. Pure. */
export function cameraTotals(cameras: readonly { recording: string }[]): CameraTotals {
  let recording = 0;
  let offline = 0;
  for (const c of cameras) {
    if (c.recording === 'recording') recording++;
    else if (c.recording === 'offline') offline++;
  }
  return { cameras: cameras.length, recording, offline, unrecorded: cameras.length - recording - offline };
}

/** The servers grouped by redundancy group, groups and servers in id order. Pure. */
export function byGroup<T extends { id: string; group: number }>(servers: readonly T[]): [number, T[]][] {
  const groups = new Map<number, T[]>();
  for (const s of [...servers].sort((a, b) => a.id.localeCompare(b.id, undefined, { numeric: true })))
    groups.set(s.group, [...(groups.get(s.group) ?? []), s]);
  return [...groups].sort(([a], [b]) => a - b);
}
