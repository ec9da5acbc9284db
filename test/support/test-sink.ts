import { mkdirSync } from 'node:fs';
import type { Logger } from '../../src/lib/log.ts';
import type { LocalIndex } from '../../src/storage/local-index.ts';
import { StorageSink } from '../../src/storage/segment-sink.ts';
import { StoragePaths } from '../../src/storage/storage-paths.ts';

/** For tests: a sink committing into one storage path, as a node with default storage settings does. */
export async function singlePathSink(
  root: string,
  nodeId: string,
  index: LocalIndex,
  log: Logger,
): Promise<{ sink: StorageSink; paths: StoragePaths }> {
  mkdirSync(root, { recursive: true });
  const paths = new StoragePaths({ paths: [root], availability: 'failover', log });
  await paths.start();
  return { sink: new StorageSink({ nodeId, index, pathsFor: () => paths }), paths };
}
