import { readdirSync, readFileSync } from 'node:fs';

/** One process as /proc shows it; `startTicks` tells it apart from a later process given the same pid. */
export interface ProcInfo {
  pid: number;
  ppid: number;
  state: string;
  startTicks: string;
  command: string;
}

/** /proc/<pid>/stat read, or undefined when there is no such process. */
export function procInfo(pid: number): ProcInfo | undefined {
  let stat: string;
  try {
    stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  } catch {
    return undefined;
  }
  // "pid (comm) state ppid …": comm may hold spaces and parentheses, so split after the last ')'.
  const close = stat.lastIndexOf(')');
  const rest = stat.slice(close + 2).split(' ');
  return {
    pid,
    ppid: Number(rest[1]),
    state: rest[0],
    startTicks: rest[19],
    command: stat.slice(stat.indexOf('(') + 1, close),
  };
}

/** Every process below `root` (children, their children, …), as they are now. */
export function descendants(root: number): ProcInfo[] {
  const all = readdirSync('/proc')
    .filter((n) => /^\d+$/.test(n))
    .map((n) => procInfo(Number(n)))
    .filter((p): p is ProcInfo => p !== undefined);
  const out: ProcInfo[] = [];
  let level = [root];
  while (level.length) {
    const next = all.filter((p) => level.includes(p.ppid));
    out.push(...next);
    level = next.map((p) => p.pid);
  }
  return out;
}

/** Whether this very process still runs (a zombie has stopped; a reused pid is another process). */
export function stillRunning(p: ProcInfo): boolean {
  const now = procInfo(p.pid);
  return now !== undefined && now.startTicks === p.startTicks && now.state !== 'Z';
}
