import type { Logger } from '../lib/log.ts';
import type { NodeClient } from '../node-client/node-client.ts';
import { NodeHttpError } from '../node-client/node-http-error.ts';
import type { CopyJob } from '../protocol/copy-job.ts';
import type { NodeCopySegment } from '../protocol/node-api.ts';

/**
 * Has the source delete its copy, which it does only if it has the checksum of the copy held here.
 * It refuses when its copy differs: changed since it was sent, or, for a copy found stored here,
 * another recording of the same instant. Then both are kept (retention removes the source's in time).
 */
export async function releaseAtSource(
  nodes: NodeClient,
  job: CopyJob,
  s: NodeCopySegment,
  sha256: string,
  name: string,
  log: Logger,
  signal: AbortSignal,
): Promise<void> {
  try {
    await nodes.release(job.source.url, s.id, sha256, signal);
  } catch (err) {
    if (!(err instanceof NodeHttpError) || (err.status !== 404 && err.status !== 409)) throw err;
    if (err.status === 404)
      // The row is there but no file: nothing left at the source to delete. The verified copy is home.
      log.warn({ id: s.id, error: err.detail }, `${name}: the source has no file left to release`);
    else
      log.warn(
        { id: s.id, error: err.message },
        `${name}: the source's copy differs from the one stored here; both are kept, the source's is not released`,
      );
  }
}
