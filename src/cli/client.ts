import { Command } from 'commander';
import { readFileSync } from 'node:fs';
import { parse } from 'yaml';
import type { FailoverEntry } from '../store/failover-log.ts';
import type { AuditEntry } from '../store/audit.ts';
import { parseSince, parseTime } from '../lib/time-range.ts';
import { NEXT_BEFORE_HEADER } from '../api/page-query.ts';
import { PAGE } from '../api/limits.ts';
import { masterAccess, type MasterAccess } from './credentials.ts';
import { callMaster, callMasterWithHeaders } from './master-call.ts';
import { masterLines } from './master-status.ts';
import type { MasterAnswer } from '../api/master-info.ts';

/** Options every client verb takes: which master, and a credential other than the saved login. */
export interface ClientOptions {
  master?: string;
  token?: string;
  /** A CA certificate file (PEM) to trust the master by. */
  ca?: string;
}

/**
 * Adds --master, --token and --ca to a client verb (default: the saved `vigil login`; $VIGIL_TOKEN
 * for --token; $VIGIL_CA or the local master's farm CA for --ca).
 */
export function clientOptions(cmd: Command): Command {
  return cmd
    .option(
      '--master <url>',
      "master URL, or a farm's masters comma-separated (the first that answers); default: the one of `vigil login`, else https://127.0.0.1:8080",
    )
    .option('--token <secret>', 'API token to send (else $VIGIL_TOKEN, else the saved login)')
    .option(
      '--ca <file>',
      "CA certificate to trust the master by (the farm's: <master data>/pki/ca.pem; else the saved login's, $VIGIL_CA)",
    );
}

async function call(a: MasterAccess, path: string, init: { method?: string; body?: unknown } = {}): Promise<unknown> {
  return callMaster(a, init.method ?? 'GET', path, init.body);
}

/** A copy-back job as GET /api/v1/copybacks shows it (the fields `vigil status` prints). */
interface CopyBackLine {
  id: string;
  camera: string;
  source: string;
  home: string;
  state: string;
  progress?: { bytes: number; bytesDone: number; percent: number; rateBytesPerSec: number; etaMs: number | null };
}

/** `vigil status`: the master (which leads, the standbys), servers, cameras, copy-backs under way and the last failovers, as the master sees them. */
export function statusCommand(): Command {
  return clientOptions(new Command('status').description('show the master, servers, cameras, copy-backs and failovers'))
    .option('--json', 'print one JSON document {master, servers, cameras, copybacks, failovers}')
    .action(async (o: ClientOptions & { json?: boolean }) => {
      const a = masterAccess(o);
      const master = (await call(a, '/api/v1/master')) as MasterAnswer;
      const servers = (await call(a, '/api/v1/servers')) as {
        id: string;
        group: number;
        role: string;
        state: string;
        cameras: string[];
        clock?: { offsetMs: number | null; warning?: string } | null;
      }[];
      const cameras = (await call(a, '/api/v1/cameras')) as {
        id: string;
        homeServer: string;
        currentServer: string;
        recording: string;
        clockWarning?: string;
      }[];
      const copybacks = (await call(a, '/api/v1/copybacks')) as CopyBackLine[];
      const failovers = (await call(a, '/api/v1/failovers?limit=10')) as FailoverEntry[];
      if (o.json) {
        console.log(JSON.stringify({ master, servers, cameras, copybacks, failovers }, null, 2));
        return;
      }
      for (const l of masterLines(master)) console.log(l);
      if (copybacks.length) console.log(`\n${copyBackLines(copybacks).join('\n')}`);
      console.log('\nSERVER  GROUP  ROLE       STATE    CLOCK     CAMERAS');
      for (const s of servers)
        console.log(
          `${s.id.padEnd(8)}${String(s.group).padEnd(7)}${s.role.padEnd(11)}${s.state.padEnd(9)}${clockColumn(s.clock).padEnd(10)}${s.cameras.join(',')}`,
        );
      for (const s of servers) if (s.clock?.warning) console.log(`warning: server ${s.id}: ${s.clock.warning}`);
      console.log('\nCAMERA  HOME    NOW     RECORDING');
      for (const c of cameras)
        console.log(`${c.id.padEnd(8)}${c.homeServer.padEnd(8)}${c.currentServer.padEnd(8)}${c.recording}`);
      for (const c of cameras) if (c.clockWarning) console.log(`warning: camera ${c.id}: ${c.clockWarning}`);
      console.log('\nFAILOVERS');
      for (const f of failovers) console.log(failoverLine(f));
    });
}

/** One failover log entry on one line. */
function failoverLine(f: FailoverEntry): string {
  return `#${f.id} ${new Date(f.startedAt).toISOString()} ${f.server} ${f.trigger} ${f.status}${f.detail.target ? ` -> ${f.detail.target}` : ''}${f.detail.reason ? ` (${f.detail.reason})` : ''}`;
}

/** The copy-backs under way, as `vigil status` says them (the console's yellow bar): one heading, a line per job. */
export function copyBackLines(jobs: CopyBackLine[]): string[] {
  const mb = (n: number) => `${(n / 1e6).toFixed(1)} MB`;
  return [
    `COPY-BACK UNDER WAY (${jobs.length} job${jobs.length > 1 ? 's' : ''}): footage recorded elsewhere is being copied home`,
    ...jobs.map((j) => {
      const p = j.progress;
      const done = p
        ? `${Math.floor(p.percent)}% ${mb(p.bytesDone)} of ${mb(p.bytes)}, ${mb(p.rateBytesPerSec)}/s${p.etaMs === null ? '' : `, ${Math.ceil(p.etaMs / 1000)} s left`}`
        : 'waiting to start';
      return `  ${j.camera} ${j.source} -> ${j.home} ${j.state}: ${done}`;
    }),
  ];
}

/** `vigil failovers`: the failover log, newest last (as the API reads it). */
export function failoversCommand(): Command {
  return clientOptions(new Command('failovers').description('show the failover log: each failover and handover'))
    .option('--limit <n>', 'the newest entries at most', '20')
    .option('--json', 'print the entries as JSON')
    .action(async (o: ClientOptions & { limit: string; json?: boolean }) => {
      const limit = Number(o.limit);
      if (!Number.isSafeInteger(limit) || limit < 1) throw new Error(`--limit: not a whole number above 0: ${o.limit}`);
      const entries = (await call(
        masterAccess(o),
        `/api/v1/failovers?limit=${Math.min(limit, PAGE.maxLimit)}`,
      )) as FailoverEntry[];
      if (o.json) console.log(JSON.stringify(entries, null, 2));
      else for (const f of entries) console.log(`${failoverLine(f)}: ${describe(f)}`);
    });
}

/** A server's clock offset for the status table: `+5012ms!` past the bound, `-` before its first status. */
export function clockColumn(clock: { offsetMs: number | null; warning?: string } | null | undefined): string {
  if (clock?.offsetMs === null || clock?.offsetMs === undefined) return '-';
  const ms = Math.round(clock.offsetMs);
  return `${ms > 0 ? '+' : ''}${ms}ms${clock.warning ? '!' : ''}`;
}

/** `vigil apply farm.yaml`: replaces the farm configuration; refused whole when anything is wrong. */
export function applyCommand(): Command {
  return clientOptions(
    new Command('apply').description("apply a farm configuration file (YAML or JSON); an admin's").argument('<file>'),
  ).action(async (file: string, o: ClientOptions) => {
    const body: unknown = parse(readFileSync(file, 'utf8'));
    const r = (await call(masterAccess(o), '/api/v1/config', { method: 'PUT', body })) as { warnings: string[] };
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

/** One operator action on the master (POST, an operator's); prints the failover log entry it made. */
function actionCommand(
  name: string,
  description: string,
  args: string[],
  path: (a: string[]) => string,
  body?: (a: string[]) => unknown,
): Command {
  const cmd = new Command(name).description(description);
  for (const a of args) cmd.argument(`<${a}>`);
  return clientOptions(cmd).action(async (...all: unknown[]) => {
    const a = all.slice(0, args.length) as string[];
    const o = all[args.length] as ClientOptions;
    const f = (await call(masterAccess(o), path(a), {
      method: 'POST',
      ...(body && { body: body(a) }),
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
  return clientOptions(new Command('audit'))
    .description('show the audit log: changes, exports and login attempts, with who, from where and the answer')
    .option('--since <time>', 'from this time (epoch ms, ISO 8601) or this long ago (30m, 2h, 7d)')
    .option('--until <time>', 'before this time (epoch ms, ISO 8601)')
    .option('--actor <name>', 'user:alice, token:alice/ci, server:s1; a bare name is a user with her tokens')
    .option('--limit <n>', 'the newest entries at most', String(PAGE.limit))
    .option('--json', 'print the entries as JSON')
    .action(
      async (
        o: ClientOptions & {
          since?: string;
          until?: string;
          actor?: string;
          limit: string;
          json?: boolean;
        },
      ) => {
        const limit = Number(o.limit);
        if (!Number.isSafeInteger(limit) || limit < 1)
          throw new Error(`--limit: not a whole number above 0: ${o.limit}`);
        const q = new URLSearchParams();
        if (o.since) q.set('from', String(parseSince(o.since, Date.now())));
        if (o.until) q.set('to', String(parseTime(o.until, 'until')));
        if (o.actor) q.set('actor', o.actor);
        const a = masterAccess(o);
        // Pages of at most the API's maximum, newest first, until the limit or the oldest entry.
        let entries: AuditEntry[] = [];
        let before: string | null = null;
        while (entries.length < limit) {
          q.set('limit', String(Math.min(PAGE.maxLimit, limit - entries.length)));
          if (before) q.set('before', before);
          const page = await callMasterWithHeaders(a, 'GET', `/api/v1/audit?${q}`);
          entries = [...(page.body as AuditEntry[]), ...entries];
          before = page.headers.get(NEXT_BEFORE_HEADER);
          if (!before) break;
        }
        if (o.json) console.log(JSON.stringify(entries, null, 2));
        else for (const e of entries) console.log(auditLine(e));
      },
    );
}

/** One audit entry on one line: when, who, from where, what, on what, the answer, and its parameters. */
export function auditLine(e: AuditEntry): string {
  const params = Object.keys(e.params).length ? ` ${JSON.stringify(e.params)}` : '';
  const summary = e.summary ? ` (${e.summary})` : '';
  return `#${e.id} ${new Date(e.at).toISOString()} ${e.actor} ${e.address} ${e.method} ${e.route}${e.target ? ` ${e.target}` : ''} → ${e.status}${summary}${params}`;
}
