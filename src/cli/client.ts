import { Command } from 'commander';
import { readFileSync } from 'node:fs';
import { parse } from 'yaml';
import { farmKey } from './shutdown.ts';
import { farmKeys } from '../lib/farm-keys.ts';
import type { FailoverEntry } from '../store/failover-log.ts';
import type { AuditEntry } from '../store/audit.ts';
import { parseSince, parseTime } from '../lib/time-range.ts';
import { NEXT_BEFORE_HEADER } from '../api/page-query.ts';
import { PAGE } from '../api/limits.ts';

async function call(master: string, path: string, init?: RequestInit): Promise<unknown> {
  return (await callWithHeaders(master, path, init)).body;
}

async function callWithHeaders(
  master: string,
  path: string,
  init?: RequestInit,
): Promise<{ body: unknown; headers: Headers }> {
  const res = await fetch(master + path, init);
  const body = (await res.json()) as { error?: { message: string } };
  if (!res.ok) {
    console.error(body.error?.message ?? JSON.stringify(body));
    process.exit(1);
  }
  return { body, headers: res.headers };
}

/** `vigil status`: servers, cameras and the last failovers, as the master sees them. */
export function statusCommand(): Command {
  return new Command('status')
    .description('show servers, cameras and failovers')
    .option('--master <url>', 'master URL', 'http://127.0.0.1:8080')
    .action(async (o: { master: string }) => {
      const servers = (await call(o.master, '/api/v1/servers')) as {
        id: string;
        group: number;
        role: string;
        state: string;
        cameras: string[];
      }[];
      const cameras = (await call(o.master, '/api/v1/cameras')) as {
        id: string;
        homeServer: string;
        currentServer: string;
        recording: string;
      }[];
      const failovers = (await call(o.master, '/api/v1/failovers?limit=10')) as FailoverEntry[];
      console.log('SERVER  GROUP  ROLE       STATE    CAMERAS');
      for (const s of servers)
        console.log(
          `${s.id.padEnd(8)}${String(s.group).padEnd(7)}${s.role.padEnd(11)}${s.state.padEnd(9)}${s.cameras.join(',')}`,
        );
      console.log('\nCAMERA  HOME    NOW     RECORDING');
      for (const c of cameras)
        console.log(`${c.id.padEnd(8)}${c.homeServer.padEnd(8)}${c.currentServer.padEnd(8)}${c.recording}`);
      console.log('\nFAILOVERS');
      for (const f of failovers)
        console.log(
          `#${f.id} ${new Date(f.startedAt).toISOString()} ${f.server} ${f.trigger} ${f.status}${f.detail.target ? ` -> ${f.detail.target}` : ''}${f.detail.reason ? ` (${f.detail.reason})` : ''}`,
        );
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
      const r = (await call(o.master, '/api/v1/config', {
        method: 'PUT',
        body,
        headers: { 'content-type': 'application/json', authorization: `Bearer ${key}` },
      })) as { warnings: string[] };
      for (const w of r.warnings) console.warn(`warning: ${w}`);
      console.log('applied');
    });
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
  return cmd
    .option('--master <url>', 'master URL', 'http://127.0.0.1:8080')
    .option('--key-file <file>', 'farm key file (else $VIGIL_FARM_KEY)')
    .action(async (...all: unknown[]) => {
      const a = all.slice(0, args.length) as string[];
      const o = all[args.length] as { master: string; keyFile?: string };
      const key = farmKeys(await farmKey(o.keyFile)).api.toString();
      const headers: Record<string, string> = { authorization: `Bearer ${key}` };
      if (body) headers['content-type'] = 'application/json';
      const f = (await call(o.master, path(a), {
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

/** `vigil audit`: who changed what, exported or logged in, from where, with what answer; oldest first. */
export function auditCommand(): Command {
  return new Command('audit')
    .description('show the audit log: changes, exports and login attempts, with who, from where and the answer')
    .option('--since <time>', 'from this time (epoch ms, ISO 8601) or this long ago (30m, 2h, 7d)')
    .option('--until <time>', 'before this time (epoch ms, ISO 8601)')
    .option('--actor <name>', 'user:alice, token:alice/ci, server:s1; a bare name is a user with her tokens')
    .option('--limit <n>', 'the newest entries at most', String(PAGE.limit))
    .option('--master <url>', 'master URL', 'http://127.0.0.1:8080')
    .option('--key-file <file>', 'farm key file (else $VIGIL_FARM_KEY)')
    .action(
      async (o: {
        since?: string;
        until?: string;
        actor?: string;
        limit: string;
        master: string;
        keyFile?: string;
      }) => {
        const limit = Number(o.limit);
        if (!Number.isSafeInteger(limit) || limit < 1)
          throw new Error(`--limit: not a whole number above 0: ${o.limit}`);
        const q = new URLSearchParams();
        if (o.since) q.set('from', String(parseSince(o.since, Date.now())));
        if (o.until) q.set('to', String(parseTime(o.until, 'until')));
        if (o.actor) q.set('actor', o.actor);
        const key = farmKeys(await farmKey(o.keyFile)).api.toString();
        // Pages of at most the API's maximum, newest first, until the limit or the oldest entry.
        let entries: AuditEntry[] = [];
        let before: string | null = null;
        while (entries.length < limit) {
          q.set('limit', String(Math.min(PAGE.maxLimit, limit - entries.length)));
          if (before) q.set('before', before);
          const page = await callWithHeaders(o.master, `/api/v1/audit?${q}`, {
            headers: { authorization: `Bearer ${key}` },
          });
          entries = [...(page.body as AuditEntry[]), ...entries];
          before = page.headers.get(NEXT_BEFORE_HEADER);
          if (!before) break;
        }
        for (const e of entries) console.log(auditLine(e));
      },
    );
}

/** One audit entry on one line: when, who, from where, what, on what, the answer, and its parameters. */
export function auditLine(e: AuditEntry): string {
  const params = Object.keys(e.params).length ? ` ${JSON.stringify(e.params)}` : '';
  const summary = e.summary ? ` (${e.summary})` : '';
  return `#${e.id} ${new Date(e.at).toISOString()} ${e.actor} ${e.address} ${e.method} ${e.route}${e.target ? ` ${e.target}` : ''} → ${e.status}${summary}${params}`;
}
