import type { FastifyInstance } from 'fastify';
import { checkRange } from '../lib/time-range.ts';
import { VigilError } from '../lib/errors.ts';
import {
  DigestQuery,
  IndexDigest,
  MAX_FILES_MS,
  MAX_LIST_MS,
  NODE_ROUTES,
  NodeFileList,
  RangeQuery,
} from '../protocol/node-api.ts';
import { hourDigests } from '../storage/index-digest.ts';
import { recorderOfCopy } from '../storage/layout.ts';
import { listDiskFiles, type DiskFilesOptions } from './disk-files.ts';

/**
 * The master's routes for keeping its timeline in step with this server's disks (master only, not
 * copy-back routes). GET /node/v1/index-digest: the index's segments by camera stream and hour of
 * their start; reconcile at reconnect compares it with its own rows and asks for the hours that
 * differ (GET /node/v1/segments). GET /node/v1/files: a camera stream's files on the disks over a
 * range (at most MAX_FILES_MS), each read in full and hashed now: what verify compares.
 */
export function registerTimelineRoutes(
  app: FastifyInstance,
  o: DiskFilesOptions & {
    /** Whether the index holds what the disks do (storage configured, its paths reconciled): no digest before. */
    ready?: () => boolean;
  },
): void {
  app.get(NODE_ROUTES.files, { schema: { querystring: RangeQuery, response: { 200: NodeFileList } } }, async (req) => {
    const q = req.query as RangeQuery;
    checkRange(q.from, q.to, MAX_FILES_MS, 'a file listing');
    const stream = q.stream ?? 0;
    return { camera: q.camera, stream, files: await listDiskFiles(o, q.camera, stream, q.from, q.to) };
  });
  app.get(
    NODE_ROUTES.indexDigest,
    { schema: { querystring: DigestQuery, response: { 200: IndexDigest } } },
    async (req) => {
      const q = req.query as DigestQuery;
      // A digest of an index still being rebuilt would have the master remove what is only not read yet.
      if (o.ready && !o.ready())
        throw new VigilError('INDEX_NOT_READY', 'the index is not reconciled with the disks yet');
      checkRange(q.from, q.to, MAX_LIST_MS, 'an index digest');
      const segments = o.index.cameraStreams().flatMap(({ cameraId, stream }) =>
        o.index
          .listRecorded(cameraId, q.from, q.to, stream)
          .filter((s) => s.startMs >= q.from)
          .map((s) => ({
            camera: cameraId,
            stream,
            startMs: s.startMs,
            endMs: s.endMs,
            recordedBy: recorderOfCopy(s.path),
          })),
      );
      return { hours: hourDigests(segments) };
    },
  );
}
