/**
 * Throws unless `id` is safe as one path component: ids become folder and file names in the storage
 * tree, so anything that could climb out of it or cut the name short (`/`, `\`, `..`, NUL) is refused.
 */
export function assertSafeId(kind: string, id: string): void {
  if (id === '' || id === '.' || id.includes('..') || /[/\\\0]/.test(id)) {
    throw new Error(`unsafe ${kind} id ${JSON.stringify(id)}: it must be a single path component`);
  }
}

/**
 * Where a segment lives, relative to the storage root: `<cameraId>/<YYYY-MM-DD>/<HH>/<startMs>_<nodeId>.<ext>`
 * in UTC. An hour folder holds at most 3600 one-second segments per node, which keeps folders small
 * enough to list quickly; the node id in the name keeps two nodes' recordings of one camera apart.
 */
export function segmentRelPath(cameraId: string, startMs: number, nodeId: string, ext = 'ts'): string {
  assertSafeId('camera', cameraId);
  assertSafeId('node', nodeId);
  if (!/^[a-z0-9]+$/i.test(ext)) throw new Error(`bad segment extension ${JSON.stringify(ext)}`);
  if (!Number.isSafeInteger(startMs) || startMs < 0) throw new Error(`bad segment start ${startMs}`);
  const iso = new Date(startMs).toISOString(); // YYYY-MM-DDTHH:mm:ss.sssZ, always UTC
  return `${cameraId}/${iso.slice(0, 10)}/${iso.slice(11, 13)}/${startMs}_${nodeId}.${ext}`;
}
