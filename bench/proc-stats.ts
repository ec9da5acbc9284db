import { readFileSync, readdirSync } from 'node:fs';
import { execFileSync } from 'node:child_process';

const TICKS = Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100;
const PAGE = Number(execFileSync('getconf', ['PAGESIZE'], { encoding: 'utf8' }).trim()) || 4096;

/** CPU seconds (user + system) and resident MB of one process, from /proc. */
export function procStat(pid: number): { cpuS: number; rssMb: number; ppid: number } | undefined {
  try {
    const raw = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const f = raw.slice(raw.lastIndexOf(')') + 2).split(' '); // fields after "pid (comm) "
    return {
      ppid: Number(f[1]),
      cpuS: (Number(f[11]) + Number(f[12])) / TICKS,
      rssMb: (Number(f[21]) * PAGE) / 2 ** 20,
    };
  } catch {
    return undefined; // gone
  }
}

/** The direct children of a process. */
export function childrenOf(pid: number): number[] {
  return readdirSync('/proc')
    .filter((d) => /^\d+$/.test(d))
    .map(Number)
    .filter((p) => procStat(p)?.ppid === pid);
}
