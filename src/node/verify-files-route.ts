import type { FastifyInstance } from 'fastify';
import { checkRange } from '../lib/time-range.ts';
import { MAX_FILES_MS, NODE_ROUTES, NodeFileList, RangeQuery } from '../protocol/node-api.ts';
import { listDiskFiles, type DiskFilesOptions } from './disk-files.ts';

/**
 * GET /node/v1/files: a camera stream's files on this server's disks over a range (at most
 * MAX_FILES_MS), each hashed now: the master's verify compares them with its timeline. Master only
 * (not a copy-back route): it reads every file of the range in full.
 */
export function registerVerifyFilesRoute(app: FastifyInstance, o: DiskFilesOptions): void {
  app.get(NODE_ROUTES.files, { schema: { querystring: RangeQuery, response: { 200: NodeFileList } } }, async (req) => {
    const q = req.query as RangeQuery;
    checkRange(q.from, q.to, MAX_FILES_MS, 'a file listing');
    const stream = q.stream ?? 0;
    return { camera: q.camera, stream, files: await listDiskFiles(o, q.camera, stream, q.from, q.to) };
  });
}
