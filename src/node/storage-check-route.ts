import type { FastifyInstance } from 'fastify';
import { NODE_ROUTES, StorageCheck, StorageCheckResult } from '../protocol/node-api.ts';
import { checkPathsWritable } from '../storage/path-probe.ts';

/** The storage check a master asks a node for before it accepts storage settings for it. */
export function registerStorageCheckRoute(app: FastifyInstance): void {
  // Before the master accepts storage settings: only this server can tell whether its paths
  // exist and take writes (a probe file is written and removed; nothing else is touched).
  app.post(
    NODE_ROUTES.storageCheck,
    { schema: { body: StorageCheck, response: { 200: StorageCheckResult } } },
    async (req) => {
      const b = req.body as { paths: string[]; minFreeBytes?: number; minFreePercent?: number };
      const bounds =
        b.minFreeBytes !== undefined || b.minFreePercent !== undefined
          ? { minFreeBytes: b.minFreeBytes ?? 0, minFreePercent: b.minFreePercent ?? 0 }
          : undefined;
      return { problems: await checkPathsWritable(b.paths, bounds) };
    },
  );
}
