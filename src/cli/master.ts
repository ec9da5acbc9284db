import { Command } from 'commander';
import { mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';
import { Master } from '../master/master.ts';
import { VigilError } from '../lib/errors.ts';
import { createLogger } from '../lib/log.ts';
import { closeOnSignal, farmKey } from './shutdown.ts';
import { readKeyFile } from '../auth/key-file.ts';

/** `vigil master`: the management server (store, controller, API). */
export function masterCommand(): Command {
  return new Command('master')
    .description('management server: farm store, failover controller, API')
    .option('--data <dir>', 'data folder (holds farm.sqlite and pki/, the farm CA)', '.vigil/master')
    .option('--store <location>', 'SQLite file or postgres:// URL (default: <data>/farm.sqlite)')
    .option('--config <file>', 'farm configuration (YAML or JSON) to apply at start, checked as PUT /api/v1/config is')
    .option('--host <host>', 'API address', '127.0.0.1')
    .option('--port <port>', 'API port', '8080')
    .option('--key-file <file>', 'farm key file (else $VIGIL_FARM_KEY)')
    .option(
      '--tls-cert <file>',
      "the API's certificate (PEM chain) instead of the farm CA's (the CA still signs the servers)",
    )
    .option('--tls-key <file>', 'the key of --tls-cert (PEM; refused when others may read it)')
    .option('--tls-san <names>', "further host names or addresses (comma-separated) for the master's farm certificate")
    .action(async (o: MasterFlags) => {
      const log = createLogger('master');
      const config: unknown = o.config ? parse(readFileSync(o.config, 'utf8')) : undefined;
      if (!o.tlsCert !== !o.tlsKey) throw new Error('--tls-cert and --tls-key go together');
      mkdirSync(o.data, { recursive: true });
      const master = new Master({
        store: o.store ?? join(o.data, 'farm.sqlite'),
        host: o.host,
        port: Number(o.port),
        farmKey: await farmKey(o.keyFile),
        pkiDir: join(o.data, 'pki'),
        ...(o.tlsCert && o.tlsKey && { tls: { cert: readFileSync(o.tlsCert, 'utf8'), key: readKeyFile(o.tlsKey) } }),
        tlsHosts: o.tlsSan?.split(',') ?? [],
        config,
        log,
      });
      closeOnSignal(log, () => master.close());
      try {
        await master.start();
      } catch (err) {
        if (!(err instanceof VigilError)) throw err;
        // A refused configuration: every problem, then stop (the master closed what it opened).
        log.fatal(
          { code: err.code, problems: err.details },
          err.code === 'PKI_INVALID' || err.code === 'KEY_FILE_UNSAFE' ? err.message : `${o.config}: ${err.message}`,
        );
        process.exitCode = 1;
      }
    });
}

interface MasterFlags {
  data: string;
  store?: string;
  config?: string;
  host: string;
  port: string;
  keyFile?: string;
  tlsCert?: string;
  tlsKey?: string;
  tlsSan?: string;
}
