import { Command } from 'commander';
import { RecordingNode } from '../node/recording-node.ts';
import { createLogger } from '../lib/log.ts';
import { privateUmask } from '../lib/private-dir.ts';
import { closeOnSignal, farmKey } from './shutdown.ts';

/** `vigil node`: a recording server. */
export function nodeCommand(): Command {
  return new Command('node')
    .description('recording server: records its assigned cameras, watches its buddies')
    .requiredOption('--id <id>', 'server id, as in the farm configuration')
    .option('--master <urls>', 'master URL(s), comma-separated', 'http://127.0.0.1:8080')
    .option('--data <dir>', 'data folder (storage, local index, last assignment)')
    .option('--key-file <file>', 'farm key file (else $VIGIL_FARM_KEY)')
    .option('--api-port <port>', 'playback API port (0: any free port; the master learns it from the status)', '0')
    .action(async (o: { id: string; master: string; data?: string; keyFile?: string; apiPort: string }) => {
      privateUmask();
      const log = createLogger('node').child({ server: o.id });
      const node = new RecordingNode({
        id: o.id,
        masterUrls: o.master.split(','),
        dataDir: o.data ?? `.vigil/nodes/${o.id}`,
        farmKey: await farmKey(o.keyFile),
        log,
        apiPort: Number(o.apiPort),
      });
      closeOnSignal(log, () => node.close());
      await node.start();
    });
}
