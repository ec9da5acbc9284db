import { Command } from 'commander';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { newFarmKey } from '../lib/farm-key.ts';
import { LocalFarm } from '../farm/local-farm.ts';
import { privateUmask } from '../lib/private-dir.ts';
import { exampleFarm, EXAMPLE_CAMERAS } from '../farm/example-farm.ts';
import type { FailoverEntry } from '../store/failover-log.ts';
import { entryLines, leaderLine, serverLine, sseBlocks, type Printed } from './demo-follow.ts';

/** The PostgreSQL server `vigil demo --ha` makes its database on, unless --postgres names another. */
export const DEMO_POSTGRES = 'postgres://postgres@127.0.0.1:5432/postgres';

interface DemoFlags {
  dir?: string;
  port: string;
  rtspPort: string;
  udpPort: string;
  ha?: boolean;
  postgres?: string;
}

/** `vigil demo`: the Symphony example farm (simulator, master, servers) on this machine. */
export function demoCommand(): Command {
  return new Command('demo')
    .description(
      'a whole farm on this machine: master, group 1 (two active + one redundant server), group 7 (one server), simulated cameras',
    )
    .option('--dir <dir>', 'data folder (default: a new temp folder)')
    .option('--port <port>', 'master API port', '8080')
    .option('--rtsp-port <port>', 'simulated cameras RTSP port', '8554')
    .option('--udp-port <port>', 'first buddy UDP port', '5045')
    .option('--ha', 'two masters (the second on --port + 1) on a PostgreSQL database: one leads, one stands by')
    .option(
      '--postgres <url>',
      `PostgreSQL server the demo makes its own database on, dropped at the end (default with --ha: ${DEMO_POSTGRES}; without --ha, the one master's store instead of SQLite)`,
    )
    .action(async (o: DemoFlags) => {
      privateUmask();
      const dir = o.dir ?? mkdtempSync(join(tmpdir(), 'vigil-demo-'));
      const key = newFarmKey();
      const port = Number(o.port);
      const postgres = o.postgres ?? (o.ha ? DEMO_POSTGRES : undefined);
      const farm = new LocalFarm({
        dir,
        farmKey: key,
        masterPort: port,
        ...(postgres && { postgres }),
        ...(o.ha && { standbyPorts: [port + 1] }),
      });
      let stopping = false;
      const stop = async () => {
        if (stopping) return;
        stopping = true;
        console.log('\nstopping the demo farm…');
        await farm.close();
        process.exit(0);
      };
      process.on('SIGINT', stop);
      process.on('SIGTERM', stop);
      const cams = Object.values(EXAMPLE_CAMERAS).flat();
      const rtsp = Number(o.rtspPort);
      console.log(
        `starting ${cams.length} simulated cameras, ${o.ha ? 'two masters' : 'a master'} and 4 recording servers (logs and footage in ${dir})…`,
      );
      try {
        await farm.startSim(rtsp, cams);
        await farm.startMaster(
          exampleFarm({
            simUrl: (id) => `rtsp://127.0.0.1:${rtsp}/${id}`,
            udpBasePort: Number(o.udpPort),
            // Four servers start at once after the master: on a busy two-core machine their first
            // statuses took many seconds, and the default 5 s had the master fail them all over
            // before they said hello. 15 s covers that (a compiled server starts in about 1.3 s).
            settings: { FarmHealthStartDelayMs: 15_000 },
          }),
        );
        // The standby after the first master: that one made the farm CA the standby gets a copy of.
        if (o.ha) await farm.startStandby('master2');
        for (const id of Object.keys(EXAMPLE_CAMERAS)) farm.startNode(id);
        await farm.waitFor(
          async () =>
            (await farm.api<{ recording: string }[]>('/api/v1/cameras')).every((c) => c.recording === 'recording'),
          60_000,
          'every camera recording',
        );
      } catch (err) {
        // A port in use, or no PostgreSQL server there, say: stop what did start, and point at the logs.
        await farm.close();
        const pg = postgres ? ` (PostgreSQL: ${withoutPassword(postgres)}; --postgres names another)` : '';
        throw new Error(`the demo farm did not start: ${(err as Error).message}${pg} (logs in ${dir})`);
      }
      const leader = o.ha ? await farm.leader() : undefined;
      const masters = o.ha ? await mastersBanner(farm, postgres!, leader) : '';
      const pids = farm.pids();
      const { user, password } = farm.admin;
      console.log(`
Vigil demo farm is recording.

  CONSOLE:    ${farm.masterUrl}/      log in as ${user}, password ${password}
              (the browser warns about the certificate: it is the farm's own CA's; trust ${farm.caFile}
               in the browser, or accept the warning for this demo)
${masters}
  farm CA:    ${farm.caFile}   (HTTPS everywhere: trust this CA, e.g. curl --cacert)
  log in:     npx vigil login --master ${farm.masterUrl} --ca ${farm.caFile} --user ${user}     (password: ${password})
  status:     npx vigil status     (after the login: it keeps the master and its CA)
  API:        ${farm.masterUrl}/api/v1/servers   /api/v1/cameras   /api/v1/failovers
  timeline:   ${farm.masterUrl}/api/v1/cameras/c1/timeline
              (with a login: POST /api/v1/login {"user","password"} sets the session cookie)
  group 1:    s1 (c1, c2) and s2 (c3, c4) active, s3 redundant     group 7: s7 (c7a, c7b) alone

Watch a failover: kill server s1 the hard way,
  kill -9 ${pids.s1}
and within about 5 s its cameras record on s3 (vigil status). Kill s7 (kill -9 ${pids.s7}):
nothing moves, group 7 has no redundant server, and the failover log shows it waiting.
Bring s1 back (it enrolled at its first start and keeps its identity in its data folder: no
join token, no farm key); it returns with no cameras, as the redundant server:
  npx vigil node --id s1 --data ${join(dir, 'nodes', 's1')} --master ${farm.masterUrls.join(',')}${o.ha ? masterKillHint(farm, leader) : ''}
Ctrl-C stops everything.

What happens from now on (failovers and their steps, servers going down and up${o.ha ? ', a new leading master' : ''}) is printed below.`);
      void follow(farm, () => stopping);
    });
}

/**
 * Prints the farm's failovers step by step, servers' changes of state and a new leading master as
 * they are committed, from the service channel (GET /api/v1/events, as the console hears it);
 * reconnects with Last-Event-ID when the master goes away (with --ha, to whichever master answers).
 */
async function follow(farm: LocalFarm, stopped: () => boolean): Promise<void> {
  const printed: Printed = new Map();
  const states = new Map<string, string>();
  const lead: { key?: string } = {};
  let seeded = false;
  let lastId: string | undefined;
  while (!stopped()) {
    try {
      const res = await farm.fetch('/api/v1/events', { headers: lastId ? { 'last-event-id': lastId } : {} });
      if (!res.ok || !res.body) throw new Error(`HTTP ${res.status}`);
      const reader = res.body.getReader();
      let buffer = '';
      for (;;) {
        const { value, done } = await reader.read();
        if (done || stopped()) break;
        const split = sseBlocks(buffer + Buffer.from(value).toString('utf8'));
        buffer = split.rest;
        for (const m of split.messages) {
          lastId = m.id ?? lastId;
          const { atMs, value: v } = JSON.parse(m.data) as { atMs: number; value: Record<string, unknown> };
          const lines: string[] = [];
          if (m.event === 'snapshot') {
            for (const e of v.failovers as FailoverEntry[])
              if (seeded) lines.push(...entryLines(e, printed));
              else printed.set(e.id, { status: e.status, steps: e.detail.steps.length });
            for (const srv of v.servers as { id: string; state: string }[])
              lines.push(...serverLine(srv, states, atMs));
            lines.push(...leaderLine(v.master as { id: string; leader: boolean; term: number }, lead, atMs));
            seeded = true;
          } else if (m.event === 'master')
            lines.push(...leaderLine(v as unknown as { id: string; leader: boolean; term: number }, lead, atMs));
          else if (m.event === 'failover') lines.push(...entryLines(v as unknown as FailoverEntry, printed));
          else if (m.event === 'server') lines.push(...serverLine(v as { id: string; state: string }, states, atMs));
          for (const l of lines) console.log(l);
        }
      }
    } catch {
      // The master is away (restarting, or the demo stopping): ask again in a second.
    }
    await new Promise((r) => setTimeout(r, 1000));
  }
}

/** The URL without its password (a banner or an error is printed and may be copied around). */
function withoutPassword(url: string): string {
  const u = new URL(url);
  if (u.password) u.password = '***';
  return u.toString();
}

/** A LocalFarm master's name among the demo's masters: master → m1, master2 → m2 (the --id LocalFarm gives). */
const idOf = (name: string) => `m${name === 'master' ? 1 : name.slice('master'.length)}`;

/** The banner's lines on the masters of `--ha`: each one's address, which leads, and the database. */
async function mastersBanner(farm: LocalFarm, postgres: string, leader: string | undefined): Promise<string> {
  const role = (name: string) => (name === leader ? 'leads' : 'standby: forwards to the leader');
  const db = new URL(await farm.storeLocation()).pathname.slice(1);
  return `
  MASTERS:    m1 ${farm.masterUrls[0]}  (${role('master')})
              m2 ${farm.masterUrls[1]}  (${role('master2')})
              either one serves the console and the API; their store, made for this demo and
              dropped at Ctrl-C: the PostgreSQL database ${db} on ${withoutPassword(postgres)}`;
}

/** What to kill to watch the masters fail over (the leader, by its pid), and what follows. */
function masterKillHint(farm: LocalFarm, leader: string | undefined): string {
  if (!leader) return '';
  const other = leader === 'master' ? 'master2' : 'master';
  const otherUrl = farm.masterUrls[other === 'master' ? 0 : 1];
  return `
Watch the masters fail over: kill the leader, ${idOf(leader)}, the hard way,
  kill -9 ${farm.pids()[leader]}
its lease lapses within about 3 s and ${idOf(other)} takes it: the servers report to ${idOf(other)}, and the
console at ${otherUrl}/ carries on (\`npx vigil login --master ${otherUrl} …\` for the CLI).`;
}
