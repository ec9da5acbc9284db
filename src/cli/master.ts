import { Command } from 'commander';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';
import { Master } from '../master/master.ts';
import { VigilError } from '../lib/errors.ts';
import { createLogger } from '../lib/log.ts';
import { ensurePrivateDir, privateUmask } from '../lib/private-dir.ts';
import { closeOnSignal, farmKey } from './shutdown.ts';
import { DEFAULT_API_LIMITS } from '../api/limits.ts';
import { readKeyFile } from '../auth/key-file.ts';
import { DEFAULT_LEASE } from '../master/leadership.ts';

function wholeAbove0(v: string, flag: string): number {
  const n = Number(v);
  if (!Number.isSafeInteger(n) || n < 1) throw new Error(`${flag}: not a whole number above 0: ${v}`);
  return n;
}

/** `vigil master`: the management server (store, controller, API). */
export function masterCommand(): Command {
  return new Command('master')
    .description('management server: farm store, failover controller, API')
    .option(
      '--data <dir>',
      'data folder (holds farm.sqlite, pki/ (the farm CA), and setup-token until the first admin is made)',
      '.vigil/master',
    )
    .option('--store <location>', 'SQLite file or postgres:// URL (default: <data>/farm.sqlite)')
    .option('--config <file>', 'farm configuration (YAML or JSON) to apply at start, checked as PUT /api/v1/config is')
    .option('--host <host>', 'API address', '127.0.0.1')
    .option('--port <port>', 'API port', '8080')
    .option('--key-file <file>', 'farm key file (else $VIGIL_FARM_KEY)')
    .option('--max-exports <n>', 'MP4 exports built at once, in all', String(DEFAULT_API_LIMITS.exportsTotal))
    .option(
      '--max-exports-per-user <n>',
      'MP4 exports built at once per user (or address)',
      String(DEFAULT_API_LIMITS.exportsPerActor),
    )
    .option(
      '--tls-cert <file>',
      "the API's certificate (PEM chain) instead of the farm CA's (the CA still signs the servers)",
    )
    .option('--tls-key <file>', 'the key of --tls-cert (PEM; refused when others may read it)')
    .option('--tls-san <names>', "further host names or addresses (comma-separated) for the master's farm certificate")
    .option('--id <name>', "this master's name among the farm's masters (default host:port)")
    .option(
      '--advertise-url <url>',
      'the URL the other masters and the servers reach this master at (default https://<host>:<port>)',
    )
    .option(
      '--lease-ms <ms>',
      'how long the leading master holds its lease after each renewal',
      String(DEFAULT_LEASE.leaseMs),
    )
    .option('--lease-renew-ms <ms>', 'how often the leading master renews its lease', String(DEFAULT_LEASE.renewMs))
    .action(async (o: MasterFlags) => {
      privateUmask();
      const log = createLogger('master');
      const config: unknown = o.config ? parse(readFileSync(o.config, 'utf8')) : undefined;
      if (!o.tlsCert !== !o.tlsKey) throw new Error('--tls-cert and --tls-key go together');
      // Older versions left it 0755; what is inside is not rewritten (new files are 0600 anyway).
      ensurePrivateDir(o.data, { followRoot: true });
      const master = new Master({
        store: o.store ?? join(o.data, 'farm.sqlite'),
        host: o.host,
        port: Number(o.port),
        farmKey: await farmKey(o.keyFile),
        dataDir: o.data,
        pkiDir: join(o.data, 'pki'),
        ...(o.tlsCert && o.tlsKey && { tls: { cert: readFileSync(o.tlsCert, 'utf8'), key: readKeyFile(o.tlsKey) } }),
        tlsHosts: o.tlsSan?.split(',') ?? [],
        ...(o.id && { id: o.id }),
        ...(o.advertiseUrl && { advertiseUrl: o.advertiseUrl }),
        lease: leaseOf(o),
        config,
        log,
        limits: {
          exportsTotal: wholeAbove0(o.maxExports, '--max-exports'),
          exportsPerActor: wholeAbove0(o.maxExportsPerUser, '--max-exports-per-user'),
        },
      });
      closeOnSignal(log, () => master.close());
      try {
        await master.start();
      } catch (err) {
        if (!(err instanceof VigilError)) throw err;
        // A refused configuration: every problem, then stop (the master closed what it opened);
        // or a store it cannot read (camera passwords sealed with another farm key), a broken pki/
        // folder or a --tls-key others may read (no configuration file to name).
        const own = ['INTERNAL', 'PKI_INVALID', 'KEY_FILE_UNSAFE', 'STORE_IN_USE'].includes(err.code);
        const what = o.config && !own ? `${o.config}: ` : '';
        log.fatal({ code: err.code, problems: err.details }, `${what}${err.message}`);
        process.exitCode = 1;
      }
    });
}

/** The lease flags: renewed at least twice within a lease, so one late renewal does not lose it. */
function leaseOf(o: MasterFlags): { leaseMs: number; renewMs: number; marginMs: number } {
  const leaseMs = wholeAbove0(o.leaseMs, '--lease-ms');
  const renewMs = wholeAbove0(o.leaseRenewMs, '--lease-renew-ms');
  if (renewMs * 2 > leaseMs) throw new Error(`--lease-renew-ms ${renewMs}: at most half of --lease-ms (${leaseMs})`);
  // The margin covers the clocks' rates and a renewal's way to the store: a sixth of the lease, 1 s at most.
  return { leaseMs, renewMs, marginMs: Math.min(1000, Math.round(leaseMs / 6)) };
}

interface MasterFlags {
  id?: string;
  advertiseUrl?: string;
  leaseMs: string;
  leaseRenewMs: string;
  data: string;
  store?: string;
  config?: string;
  host: string;
  port: string;
  keyFile?: string;
  maxExports: string;
  maxExportsPerUser: string;
  tlsCert?: string;
  tlsKey?: string;
  tlsSan?: string;
}
