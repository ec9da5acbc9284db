import { Command } from 'commander';
import { readFileSync } from 'node:fs';
import { parse } from 'yaml';
import { farmKey } from './shutdown.ts';
import { farmKeys } from '../lib/farm-keys.ts';

async function call(master: string, path: string, init?: RequestInit): Promise<unknown> {
  const res = await fetch(master + path, init);
  const body = (await res.json()) as { error?: { message: string } };
  if (!res.ok) {
    console.error(body.error?.message ?? JSON.stringify(body));
    process.exit(1);
  }
  return body;
}

/** `vigil status`: servers, cameras and the last failovers, as the master sees them. */
export function statusCommand(): Command {
  return new Command('status')
    .description('show servers, cameras and failovers')
    .option('--master <url>', 'master URL', 'http://127.0.0.1:8080')
    .action(async (o: { master: string }) => {
      const servers = (await call(o.master, '/api/v1/servers')) as { id: string; group: number; role: string; state: string; cameras: string[] }[];
      const cameras = (await call(o.master, '/api/v1/cameras')) as { id: string; homeServer: string; currentServer: string; recording: string }[];
      const failovers = (await call(o.master, '/api/v1/failovers')) as { id: number; startedAt: number; server: string; trigger: string; status: string; detail: { target?: string; reason?: string } }[];
      console.log('SERVER  GROUP  ROLE       STATE    CAMERAS');
      for (const s of servers) console.log(`${s.id.padEnd(8)}${String(s.group).padEnd(7)}${s.role.padEnd(11)}${s.state.padEnd(9)}${s.cameras.join(',')}`);
      console.log('\nCAMERA  HOME    NOW     RECORDING');
      for (const c of cameras) console.log(`${c.id.padEnd(8)}${c.homeServer.padEnd(8)}${c.currentServer.padEnd(8)}${c.recording}`);
      console.log('\nFAILOVERS');
      for (const f of failovers.slice(-10))
        console.log(`#${f.id} ${new Date(f.startedAt).toISOString()} ${f.server} ${f.trigger} ${f.status}${f.detail.target ? ' -> ' + f.detail.target : ''}${f.detail.reason ? ' (' + f.detail.reason + ')' : ''}`);
    });
}

/** `vigil apply farm.yaml`: replaces the farm configuration; refused whole when anything is wrong. */
export function applyCommand(): Command {
  return new Command('apply')
    .description('apply a farm configuration file (YAML or JSON)')
    .argument('<file>')
    .option('--master <url>', 'master URL', 'http://127.0.0.1:8080')
    .option('--key-file <file>', 'farm key file (else $VIGIL_FARM_KEY)')
    .action(async (file: string, o: { master: string; keyFile?: string }) => {
      const body = JSON.stringify(parse(readFileSync(file, 'utf8')));
      const key = farmKeys(await farmKey(o.keyFile)).api.toString();
      const r = (await call(o.master, '/api/v1/config', { method: 'PUT', body, headers: { 'content-type': 'application/json', authorization: `Bearer ${key}` } })) as { warnings: string[] };
      for (const w of r.warnings) console.warn(`warning: ${w}`);
      console.log('applied');
    });
}

/** `vigil failover s1`: moves a server's cameras as if it had failed (trigger "manual"). */
export function failoverCommand(): Command {
  return new Command('failover')
    .description("fail a server over by hand: its cameras move to a redundant server of its group")
    .argument('<server>')
    .option('--master <url>', 'master URL', 'http://127.0.0.1:8080')
    .option('--key-file <file>', 'farm key file (else $VIGIL_FARM_KEY)')
    .action(async (server: string, o: { master: string; keyFile?: string }) => {
      const key = farmKeys(await farmKey(o.keyFile)).api.toString();
      const f = (await call(o.master, `/api/v1/servers/${encodeURIComponent(server)}/failover`, { method: 'POST', headers: { authorization: `Bearer ${key}` } })) as {
        id: number;
        status: string;
        detail: { target?: string; reason?: string; moves: { camera: string }[]; unrecorded: string[] };
      };
      const moved = f.detail.moves.map((m) => m.camera).join(',') || 'none';
      console.log(`failover #${f.id} ${f.status}: ${f.detail.target ? `to ${f.detail.target}` : f.detail.reason ?? ''}; moved ${moved}${f.detail.unrecorded.length ? `; unrecorded ${f.detail.unrecorded.join(',')}` : ''}`);
    });
}
