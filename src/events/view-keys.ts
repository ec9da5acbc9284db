/**
 * What of a server's view counts as a change worth an event: everything but what moves with every
 * status (its time and sequence, Alive counters, the clock's jitter) and free space within 1 % of
 * the total. Pure.
 */
export function serverKey(v: Record<string, unknown>): string {
  const { lastStatusAt, statusSeq, udp, clock, storage, staleStatuses, disk, ...rest } = v as Record<
    string,
    unknown
  > & {
    disk: { freeBytes: number | null; totalBytes: number | null } | null;
    clock: { warning?: string } | null;
  };
  const freePercent =
    disk && disk.freeBytes !== null && disk.totalBytes ? Math.round((100 * disk.freeBytes) / disk.totalBytes) : null;
  const paths = (storage as { paths?: { path: string; healthy: boolean }[] } | null)?.paths?.map(
    (p) => `${p.path}:${p.healthy}`,
  );
  return JSON.stringify([rest, freePercent, disk && { ...disk, freeBytes: 0 }, paths, clock?.warning ?? null]);
}

/** What of a camera's view counts as a change: all but its last segment's end and the clock offset's jitter. Pure. */
export function cameraKey(v: Record<string, unknown>): string {
  const { lastSegmentEndMs, clockOffsetMs, ...rest } = v;
  return JSON.stringify(rest);
}

/** A copy-back job changes with its state and progress. */
export function copyBackKey(v: Record<string, unknown>): string {
  return JSON.stringify(v);
}
