import { Command } from 'commander';
import { mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';
import { Master } from '../master/master.ts';
import { parseFarmConfig, type FarmConfig } from '../config/farm-config.ts';
import { createLogger } from '../lib/log.ts';
import { closeOnSignal, farmKey } from './shutdown.ts';

export function masterCommand(): Command {
  return new Command('master')
    .description('management server: farm store, failover controller, API')
    .option('--data <dir>', 'data folder (holds farm.sqlite)', '.vigil/master')
    .option('--store <location>', 'SQLite file or postgres:// URL (default: <data>/farm.sqlite)')
    .option('--config <file>', 'farm configuration (YAML or JSON) to apply at start')
    .option('--host <host>', 'API address', '127.0.0.1')
    .option('--port <port>', 'API port', '8080')
    .option('--key-file <file>', 'farm key file (else $VIGIL_FARM_KEY)')
    .action(
      async (o: { data: string; store?: string; config?: string; host: string; port: string; keyFile?: string }) => {
        const log = createLogger('master');
        let config: FarmConfig | undefined;
        if (o.config) {
          const r = parseFarmConfig(parse(readFileSync(o.config, 'utf8')));
          config = r.config;
          for (const w of r.warnings) log.warn(w);
        }
        mkdirSync(o.data, { recursive: true });
        const master = new Master({
          store: o.store ?? join(o.data, 'farm.sqlite'),
          host: o.host,
          port: Number(o.port),
          farmKey: await farmKey(o.keyFile),
          config,
          log,
        });
        closeOnSignal(log, () => master.close());
        await master.start();
      },
    );
}
