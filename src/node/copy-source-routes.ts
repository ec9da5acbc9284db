import type { FastifyInstance } from 'fastify';
import { rm } from 'node:fs/promises';
import { VigilError } from '../lib/errors.ts';
import type { Logger } from '../lib/log.ts';
import {
  NODE_ROUTES,
  NodeCopyList,
  RangeQuery,
  ReleaseParams,
  ReleaseRequest,
  ReleaseResult,
} from '../protocol/node-api.ts';
import type { LocalIndex } from '../storage/local-index.ts';
import { sha256File } from './file-digest.ts';
import { listingRange } from './node-playback-routes.ts';
import type { SegmentFiles } from './segment-files.ts';
import type { CopySource } from '../protocol/assignment.ts';
import { callerServerId } from './caller.ts';
import { isCopyHome, mayRelease } from './release-rule.ts';

/** What the copy source routes use of the node. */
export interface CopySourceDeps {
  index: LocalIndex;
  files: SegmentFiles;
  log: Logger;
  /** The unfinished copy-back jobs whose source this server is (its assignment's copySources). */
  copySources: () => readonly CopySource[];
}

/**
 * A node as the source of a copy-back: lists the segments of a range with their sizes on disk, and
 * deletes ("releases") a segment once its home server holds a verified copy, at the request of that
 * home server only (mayRelease over the jobs of its assignment). The downloads
 * themselves go through the playback route of a segment, with a Repr-Digest trailer.
 */
export function registerCopySourceRoutes(app: FastifyInstance, d: CopySourceDeps): void {
  const { index } = d;

  app.get(
    NODE_ROUTES.copyList,
    {
      schema: {
        querystring: RangeQuery,
        response: { 200: NodeCopyList },
      },
    },
    async (req) => {
      const q = listingRange(req.query);
      const segments = [];
      for (const seg of index.listRecorded(q.camera, q.from, q.to, q.stream ?? 0)) {
        const [first] = await d.files.files(seg, true);
        if (!first) {
          // Nothing to copy; the row stays until retention removes it.
          d.log.warn(
            { id: seg.id, path: seg.path },
            'indexed segment missing or outside the storage paths: not listed for copy',
          );
          continue;
        }
        segments.push({ id: seg.id, startMs: seg.startMs, endMs: seg.endMs, bytes: first.bytes });
      }
      return { camera: q.camera, segments };
    },
  );

  // Deletes only at the request of the home server of a job that covers the segment, and only what
  // the caller proved it holds: every copy here must still hash to the sha256
  // it verified its own copy against, so a file changed since it was sent is never lost. The
  // checksum cached when the file was sent stands for a copy whose fingerprint is unchanged.
  app.post(
    NODE_ROUTES.release,
    {
      schema: {
        params: ReleaseParams,
        body: ReleaseRequest,
        response: { 200: ReleaseResult },
      },
    },
    async (req) => {
      const id = Number.parseInt((req.params as { id: string }).id, 10);
      const want = (req.body as { sha256: string }).sha256.toLowerCase();
      const caller = callerServerId(req);
      const jobs = d.copySources();
      // Before the index is read: a caller that is no job's home learns nothing of what is here.
      if (!isCopyHome(jobs, caller)) throw refusedRelease(d.log, id, caller, 'is the home of no copy-back job here');
      const seg = index.get(id);
      if (!seg) return { released: false }; // unknown, or released before
      if (!mayRelease(jobs, caller, seg))
        throw refusedRelease(d.log, id, caller, `has no copy-back job of camera ${seg.cameraId} over this segment`);
      const files = await d.files.files(seg, false);
      if (!files.length)
        throw new VigilError(
          'NOT_FOUND',
          `segment ${id}: no readable file in this node's storage paths; nothing released`,
          404,
        );
      for (const f of files) {
        const sha256 = (await d.files.cachedSha256(seg, f.file)) ?? (await sha256File(f.file)).sha256;
        if (sha256 !== want) {
          throw new VigilError(
            'CHECKSUM_MISMATCH',
            `segment ${id}: the copy in ${f.root} has sha256 ${sha256}, not ${want}; nothing released`,
            409,
          );
        }
      }
      // Files first, then the index: a crash between leaves a row without a file, which
      // retention clears, never a file the index has forgotten.
      const removed: { id: number; root: string }[] = [];
      for (const f of files) {
        try {
          await rm(f.at, { force: true });
          removed.push({ id, root: f.root });
        } catch (err) {
          index.removeCopies(removed, false);
          throw new VigilError(
            'RELEASE_FAILED',
            `segment ${id}: cannot delete ${f.at}: ${(err as Error).message}`,
            500,
          );
        }
      }
      index.removeSegment(id);
      d.log.info(
        { id, camera: seg.cameraId, startMs: seg.startMs, copies: files.length },
        'segment released: its home server holds a verified copy',
      );
      return { released: true };
    },
  );
}

/** A release refused for its caller: logged (it is an attempt to delete footage), answered 403. */
function refusedRelease(log: Logger, id: number, caller: string | undefined, why: string): VigilError {
  const who = caller === undefined ? 'a caller that is no server' : `server ${caller}`;
  log.warn({ id, caller: caller ?? null }, `segment release refused: ${who} ${why}`);
  return new VigilError('FORBIDDEN', `segment ${id}: ${who} ${why}; nothing released`);
}
