import { Command } from 'commander';
import { readFileSync } from 'node:fs';
import { parse } from 'yaml';
import { farmKey } from './shutdown.ts';
import { farmKeys } from '../lib/farm-keys.ts';
import type { FailoverEntry } from '../store/failover-log.ts';
import { masterFetch, type MasterFlags } from './master-fetch.ts';

/** Calls the master; a refusal prints the master's message and exits 1. */
export async function call(
  o: MasterFlags,
  path: string,
  init?: { method?: string; body?: string; headers?: Record<string, string> },
): Promise<unknown> {
  const res = await masterFetch(o, path, init);
  const body = (await res.json()) as { error?: { message: string } };
  if (!res.ok) {
    console.error(body.error?.message ?? JSON.stringify(body));
    process.exit(1);
  }
  return body;
}

/** Adds the options every client verb takes: the master's URL and the CA to trust it by. */
export function masterOptions(cmd: Command): Command {
  return cmd
    .option('--master <url>', 'master URL', 'https://127.0.0.1:8080')
    .option(
      '--ca <file>',
      "CA certificate to trust the master by (the farm's: <master data>/pki/ca.pem; else $VIGIL_CA)",
    );
}

/** `vigil status`: servers, cameras and the last failovers, as the master sees them. */
export function statusCommand(): Command {
  return masterOptions(new Command('status').description('show servers, cameras and failovers')).action(
    async (o: MasterFlags) => {
      const servers = (await call(o, '/api/v1/servers')) as {
        id: string;
        group: number;
        role: string;
        state: string;
        cameras: string[];
      }[];
      const cameras = (await call(o, '/api/v1/cameras')) as {
        id: string;
        homeServer: string;
        currentServer: string;
        recording: string;
      }[];
      const failovers = (await call(o, '/api/v1/failovers')) as FailoverEntry[];
      console.log('SERVER  GROUP  ROLE       STATE    CAMERAS');
      for (const s of servers)
        console.log(
          `${s.id.padEnd(8)}${String(s.group).padEnd(7)}${s.role.padEnd(11)}${s.state.padEnd(9)}${s.cameras.join(',')}`,
        );
      console.log('\nCAMERA  HOME    NOW     RECORDING');
      for (const c of cameras)
        console.log(`${c.id.padEnd(8)}${c.homeServer.padEnd(8)}${c.currentServer.padEnd(8)}${c.recording}`);
      console.log('\nFAILOVERS');
      for (const f of failovers.slice(-10))
        console.log(
          `#${f.id} ${new Date(f.startedAt).toISOString()} ${f.server} ${f.trigger} ${f.status}${f.detail.target ? ` -> ${f.detail.target}` : ''}${f.detail.reason ? ` (${f.detail.reason})` : ''}`,
        );
    },
  );
}

/** `vigil apply farm.yaml`: replaces the farm configuration; refused whole when anything is wrong. */
export function applyCommand(): Command {
  return masterOptions(
    new Command('apply').description('apply a farm configuration file (YAML or JSON)').argument('<file>'),
  )
    .option('--key-file <file>', 'farm key file (else $VIGIL_FARM_KEY)')
    .action(async (file: string, o: MasterFlags & { keyFile?: string }) => {
      const body = JSON.stringify(parse(readFileSync(file, 'utf8')));
      const r = (await call(o, '/api/v1/config', {
        method: 'PUT',
        body,
        headers: { 'content-type': 'application/json', ...(await adminHeaders(o.keyFile)) },
      })) as { warnings: string[] };
      for (const w of r.warnings) console.warn(`warning: ${w}`);
      console.log('applied');
    });
}

/** The credentials of a change (the farm's API token, derived from the farm key). */
export async function adminHeaders(keyFile?: string): Promise<Record<string, string>> {
  return { authorization: `Bearer ${farmKeys(await farmKey(keyFile)).api.toString()}` };
}

function describe(f: FailoverEntry | null): string {
  if (!f) return 'nothing to move';
  const moved =
    f.detail.moves.map((m) => `${m.camera}→${m.to}${m.mode === 'live' ? ' (live only)' : ''}`).join(', ') || 'none';
  const unrecorded = f.detail.unrecorded.length ? `; unrecorded ${f.detail.unrecorded.join(',')}` : '';
  return `${f.trigger} #${f.id} ${f.status}: ${moved}${f.detail.reason ? ` (${f.detail.reason})` : ''}${unrecorded}`;
}

/** One operator action on the master (POST with the farm key); prints the failover log entry it made. */
function actionCommand(
  name: string,
  description: string,
  args: string[],
  path: (a: string[]) => string,
  body?: (a: string[]) => unknown,
): Command {
  const cmd = new Command(name).description(description);
  for (const a of args) cmd.argument(`<${a}>`);
  return masterOptions(cmd)
    .option('--key-file <file>', 'farm key file (else $VIGIL_FARM_KEY)')
    .action(async (...all: unknown[]) => {
      const a = all.slice(0, args.length) as string[];
      const o = all[args.length] as MasterFlags & { keyFile?: string };
      const headers: Record<string, string> = await adminHeaders(o.keyFile);
      if (body) headers['content-type'] = 'application/json';
      const f = (await call(o, path(a), {
        method: 'POST',
        headers,
        ...(body && { body: JSON.stringify(body(a)) }),
      })) as FailoverEntry | null;
      console.log(describe(f));
    });
}

const server = (a: string[]) => encodeURIComponent(a[0]);

/** `vigil failover s1`: moves a server's cameras as if it had failed (trigger "manual"). */
export const failoverCommand = () =>
  actionCommand(
    'failover',
    "fail a server over by hand: its cameras move as its group's policy says",
    ['server'],
    (a) => `/api/v1/servers/${server(a)}/failover`,
  );
/** `vigil drain s1`: maintenance without a gap. */
export const drainCommand = () =>
  actionCommand(
    'drain',
    "maintenance: move a server's cameras away make-before-break (no gap); it is not failed over until resumed",
    ['server'],
    (a) => `/api/v1/servers/${server(a)}/drain`,
  );
export const resumeCommand = () =>
  actionCommand(
    'resume',
    "end a server's maintenance: its own cameras come back make-before-break",
    ['server'],
    (a) => `/api/v1/servers/${server(a)}/resume`,
  );
export const failbackCommand = () =>
  actionCommand(
    'failback',
    "bring a server's own cameras home make-before-break",
    ['server'],
    (a) => `/api/v1/servers/${server(a)}/failback`,
  );
export const moveCommand = () =>
  actionCommand(
    'move',
    'move one camera to another server of its group, make-before-break',
    ['camera', 'server'],
    (a) => `/api/v1/cameras/${encodeURIComponent(a[0])}/move`,
    (a) => ({ to: a[1] }),
  );
