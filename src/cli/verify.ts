import { Command } from 'commander';
import { parseTime } from '../lib/time-range.ts';
import type { VerifyReport } from '../verify/verify-report.ts';
import { clientOptions, type ClientOptions } from './client.ts';
import { masterAccess } from './credentials.ts';
import { callMaster } from './master-call.ts';

/** The exit status of `vigil verify` when it found differences (1 is an error: nothing was compared). */
export const DIFFERENCES_EXIT = 2;

const iso = (ms: number | undefined) => (ms === undefined ? '' : new Date(ms).toISOString());

/** A verify report as lines for people: what was compared on each server, then each difference. Pure. */
export function verifyLines(r: VerifyReport): string[] {
  const out = [`camera ${r.camera} stream ${r.stream}, ${iso(r.from)} to ${iso(r.to)}`];
  for (const s of r.servers)
    out.push(
      s.reachable
        ? `  ${s.server}: ${s.timelineSegments} segments in the timeline, ${s.files} files on disk${s.pending ? `, ${s.pending} not yet reported` : ''}`
        : `  ${s.server}: not reachable`,
    );
  if (!r.servers.length) out.push('  no server has footage of it in the range');
  if (r.ok) {
    out.push('no difference');
    return out;
  }
  out.push(`${r.differences.length} difference${r.differences.length === 1 ? '' : 's'}:`);
  for (const d of r.differences) {
    const when = d.startMs === undefined ? '' : ` ${iso(d.startMs)}${d.endMs === undefined ? '' : `..${iso(d.endMs)}`}`;
    out.push(`  ${d.kind.padEnd(22)}${d.server}${when}${d.file ? ` ${d.file}` : ''}: ${d.detail}`);
  }
  return out;
}

/** `vigil verify --camera X --from --to [--json]`: the master's timeline against every server's files. */
export function verifyCommand(): Command {
  return clientOptions(
    new Command('verify')
      .description(
        "compare the master's timeline of a camera with the files on every server (existence, size, SHA-256); exits 2 when they differ",
      )
      .requiredOption('--camera <id>', 'the camera')
      .option('--stream <n>', 'its stream: 0 the first (main), 1 the second, …', '0')
      .option('--from <time>', 'epoch ms or ISO 8601 (default: an hour before --to)')
      .option('--to <time>', 'epoch ms or ISO 8601 (default: now); a day at most')
      .option('--json', 'print the report as JSON'),
  ).action(
    async (o: ClientOptions & { camera: string; stream: string; from?: string; to?: string; json?: boolean }) => {
      const q = new URLSearchParams({ camera: o.camera, stream: o.stream });
      if (o.from) q.set('from', String(parseTime(o.from, '--from')));
      if (o.to) q.set('to', String(parseTime(o.to, '--to')));
      const r = await callMaster<VerifyReport>(masterAccess(o), 'GET', `/api/v1/verify?${q}`);
      console.log(o.json ? JSON.stringify(r, null, 2) : verifyLines(r).join('\n'));
      if (!r.ok) process.exitCode = DIFFERENCES_EXIT;
    },
  );
}
