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
 * The folder of one camera stream: `<cameraId>` for the first (main) stream, `<cameraId>~<n>` for
 * stream n. Each stream has its own tree so an hour folder never holds more than one stream's
 * 3600 one-second segments (the 5000-files-a-folder bound); `~` is not allowed in ids, so no
 * camera's folder can be taken for another's stream.
 */
export function streamFolder(cameraId: string, stream = 0): string {
  assertSafeId('camera', cameraId);
  if (cameraId.includes('~')) throw new Error(`unsafe camera id ${JSON.stringify(cameraId)}: ~ marks a stream folder`);
  if (!Number.isSafeInteger(stream) || stream < 0 || stream > 99) throw new Error(`bad stream number ${stream}`);
  return stream === 0 ? cameraId : `${cameraId}~${stream}`;
}

/** The camera and stream a streamFolder name stands for. */
export function parseStreamFolder(name: string): { cameraId: string; stream: number } {
  const m = /^(.+)~(\d{1,2})$/.exec(name);
  return m ? { cameraId: m[1], stream: Number(m[2]) } : { cameraId: name, stream: 0 };
}

/**
 * Who a stored file is named after: its recorder, or for a copy brought home (copy-back)
 * `<recorder>+<this node>`. The recorder keeps a copy apart from this node's own recording of the
 * same instant; this node's id marks the copy as its own, so reconciling its storage finds it again
 * while files another node writes to a shared storage (NAS) stay that node's. Ids cannot hold '+'.
 */
export function writerTag(nodeId: string, recordedBy?: string): string {
  return recordedBy === undefined || recordedBy === nodeId ? nodeId : `${recordedBy}+${nodeId}`;
}

/**
 * The server that recorded a copy brought home, from its file name (`<start>_<recorder>+<home>.ts`);
 * undefined for a server's own recording. What tells a copy from the home server's own file of the
 * same instant (both record a camera during a make-before-break failback). Pure.
 */
export function recorderOfCopy(path: string): string | undefined {
  return /(?:^|\/)\d{10,}_([A-Za-z0-9_.-]+)\+[A-Za-z0-9_.-]+\.[a-z0-9]+$/i.exec(path)?.[1];
}

/** Matches the file names of `nodeId`'s segments, its recordings and its copies; group 1 is the start ms. */
export function ownSegmentName(nodeId: string): RegExp {
  return new RegExp(`^(\\d{10,})_(?:[A-Za-z0-9_.-]+\\+)?${nodeId.replace(/[.]/g, '\\.')}\\.ts$`);
}

/**
 * Where a segment lives, relative to the storage path: `<streamFolder>/<YYYY-MM-DD>/<HH>/<startMs>_<nodeId>.<ext>`
 * in UTC. An hour folder holds at most 3600 one-second segments per node, which keeps folders small
 * enough to list quickly; the node id in the name keeps two nodes' recordings of one camera apart.
 */
export function segmentRelPath(cameraId: string, startMs: number, nodeId: string, ext = 'ts', stream = 0): string {
  const folder = streamFolder(cameraId, stream);
  assertSafeId('node', nodeId);
  if (!/^[a-z0-9]+$/i.test(ext)) throw new Error(`bad segment extension ${JSON.stringify(ext)}`);
  if (!Number.isSafeInteger(startMs) || startMs < 0) throw new Error(`bad segment start ${startMs}`);
  const iso = new Date(startMs).toISOString(); // YYYY-MM-DDTHH:mm:ss.sssZ, always UTC
  return `${folder}/${iso.slice(0, 10)}/${iso.slice(11, 13)}/${startMs}_${nodeId}.${ext}`;
}

/** Staging file names carry the run's time base, which places a crashed run's last segment in time. */
export function stagingPrefix(timeBaseSeconds: number, runId: string): string {
  return `${timeBaseSeconds}_${runId}`;
}

/** The time base (epoch seconds) a staging file name carries, or undefined for a foreign file. */
export function stagingTimeBase(fileName: string): number | undefined {
  const m = /^(\d{1,12})_[a-z0-9-]+-\d{6,}(?:\.p\d{1,3})?\.ts$/.exec(fileName);
  return m ? Number(m[1]) : undefined;
}
