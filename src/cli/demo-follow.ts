import type { FailoverEntry } from '../store/failover-log.ts';

/** What the demo has printed of each failover entry: its status and how many steps. */
export type Printed = Map<number, { status: string; steps: number }>;

const time = (ms: number) => new Date(ms).toISOString().slice(11, 23);

/**
 * The terminal lines a new version of a failover entry adds (pure): its opening (trigger, server,
 * reporters), each step not printed yet with its time from the start, and a change of status.
 * `printed` is updated.
 */
export function entryLines(e: FailoverEntry, printed: Printed): string[] {
  const seen = printed.get(e.id);
  const lines: string[] = [];
  const head = `failover #${e.id} ${e.trigger} of ${e.server}`;
  if (!seen)
    lines.push(
      `[${time(e.startedAt)}] ${head} opened${e.detail.reporters.length ? `, reported by ${e.detail.reporters.join(', ')}` : ''}`,
    );
  for (const s of e.detail.steps.slice(seen?.steps ?? 0))
    lines.push(
      `[${time(s.at)}]   ${head}: ${s.step} +${s.ms} ms${s.camera ? ` ${s.camera}` : ''}${s.server ? ` on ${s.server}` : ''}`,
    );
  if (seen && seen.status !== e.status)
    lines.push(`[${time(Date.now())}] ${head}: ${e.status}${e.detail.reason ? ` (${e.detail.reason})` : ''}`);
  printed.set(e.id, { status: e.status, steps: e.detail.steps.length });
  return lines;
}

/** The line a server's change of state adds, if its state changed (pure). */
export function serverLine(s: { id: string; state: string }, states: Map<string, string>, atMs: number): string[] {
  const before = states.get(s.id);
  states.set(s.id, s.state);
  if (before === undefined || before === s.state) return [];
  return [`[${time(atMs)}] server ${s.id} ${before} → ${s.state}`];
}

/** The service channel's messages in a chunk of its stream, and the rest (an incomplete message). */
export function sseBlocks(buffer: string): { messages: { id?: string; event: string; data: string }[]; rest: string } {
  const parts = buffer.split('\n\n');
  const rest = parts.pop() ?? '';
  const messages = [];
  for (const block of parts) {
    const f: Record<string, string> = {};
    for (const line of block.split('\n')) {
      const i = line.indexOf(':');
      if (i > 0) f[line.slice(0, i)] = line.slice(i + 1).trimStart();
    }
    if (f.event && f.data) messages.push({ id: f.id, event: f.event, data: f.data });
  }
  return { messages, rest };
}

/**
 * The line a new leading master adds (pure): from the service channel's `master` (its snapshot, or
 * a `master` event when a standby takes the lead), once per leader and term; the first one seen is
 * the banner's and adds none. `lead` keeps the last one.
 */
export function leaderLine(
  m: { id: string; leader: boolean; term: number } | undefined,
  lead: { key?: string },
  atMs: number,
): string[] {
  if (!m?.leader) return [];
  const key = `${m.id} term ${m.term}`;
  const before = lead.key;
  lead.key = key;
  if (before === undefined || before === key) return [];
  return [`[${time(atMs)}] master ${m.id} leads now (term ${m.term})`];
}
