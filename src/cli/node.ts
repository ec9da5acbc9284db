import { Command } from 'commander';
import { resolve } from 'node:path';
import { RecordingNode } from '../node/recording-node.ts';
import { createLogger } from '../lib/log.ts';
import { privateUmask } from '../lib/private-dir.ts';
import { closeOnSignal } from './shutdown.ts';
import { identityDir, loadIdentity } from '../node/node-identity.ts';
import { joinFarm } from '../node/join.ts';

/** `vigil node`: a recording server; its credential is its enrolled identity (no farm key). */
export function nodeCommand(): Command {
  return new Command('node')
    .description('recording server: records its assigned cameras, watches its buddies')
    .requiredOption('--id <id>', 'server id, as in the farm configuration')
    .option('--master <urls>', 'master URL(s), comma-separated', 'https://127.0.0.1:8080')
    .option('--data <dir>', 'data folder (storage, local index, last assignment, identity/)')
    .option(
      '--join <token>',
      'enroll with this join token (from `vigil server enroll <id>`) before starting; once is enough',
    )
    .option('--api-port <port>', 'playback API port (0: any free port; the master learns it from the status)', '0')
    .option(
      '--rtsps-ca <file>',
      "CA certificate (PEM) the rtsps cameras' certificates must chain to (checked with their host name)",
    )
    .action(
      async (o: { id: string; master: string; data?: string; join?: string; apiPort: string; rtspsCa?: string }) => {
        privateUmask();
        const log = createLogger('node').child({ server: o.id });
        const dataDir = o.data ?? `.vigil/nodes/${o.id}`;
        const masterUrls = o.master.split(',');
        const identity = o.join
          ? await joinFarm({ server: o.id, token: o.join, masterUrls, dataDir, log })
          : loadIdentity(dataDir);
        if (!identity)
          throw new Error(
            `server ${o.id} has not enrolled (no identity in ${identityDir(dataDir)}): run \`vigil server enroll ${o.id}\` against the master, then start this node once with --join <token>`,
          );
        const node = new RecordingNode({
          id: o.id,
          masterUrls,
          dataDir,
          identity,
          log,
          apiPort: Number(o.apiPort),
          ...(o.rtspsCa && { rtspsCa: resolve(o.rtspsCa) }),
        });
        closeOnSignal(log, () => node.close());
        await node.start();
      },
    );
}
