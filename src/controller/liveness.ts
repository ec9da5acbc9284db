import { buddyGraph } from '../health/buddy-graph.ts';
import { quorumReached } from '../health/quorum.ts';

export interface LivenessInput {
  /** triggers: what may fail the server over (its group's choice; default all); maintenance: not judged. */
  servers: {
    id: string;
    group: number;
    state: 'up' | 'suspect' | 'down';
    triggers?: readonly string[];
    maintenance?: boolean;
  }[];
  /**
   * Last status of each server: when it came, which buddies it reported possibly down, and since
   * when it has reported all its storage failed / recording unable to start (undefined: it does not).
   */
  reports: Map<string, { at: number; suspects: string[]; storageFailedSince?: number; recordingFailedSince?: number }>;
  now: number;
  missedMs: number;
  statusIntervalMs: number;
  /** Before this time nobody is judged (FarmHealthStartDelayMs after the master started). */
  judgeFrom: number;
}

export interface Judgement {
  state: 'up' | 'suspect' | 'down';
  reporters: string[];
  trigger?: 'buddy-quorum' | 'status-lost' | 'storage-failed' | 'recording-failed';
}

/**
 * Buddy graph of each group over the servers not known down: a server confirmed down leaves the
 * graph, so the survivors can still reach a quorum about each other.
 */
export function liveBuddies(
  servers: (LivenessInput['servers'][number] & { runtime?: { maintenance?: boolean } })[],
): Map<string, string[]> {
  const out = new Map<string, string[]>();
  for (const g of new Set(servers.map((s) => s.group))) {
    // A server drained for maintenance may be switched off: it must not hold its buddies' quorum back.
    const ids = servers
      .filter((s) => s.group === g && s.state !== 'down' && !s.maintenance && !s.runtime?.maintenance)
      .map((s) => s.id);
    for (const [id, b] of buddyGraph(ids)) out.set(id, b);
  }
  return out;
}

/**
 * Judges every server not already down. Down by buddy quorum when more than half of its buddies
 * (with a fresh status) report it and its own status has stopped too; down by lost status when the
 * master has heard nothing from it for FarmHealthMissedUdpMs and it has no buddies to judge it
 * (twice that when it has buddies, as the last resort when they cannot reach a quorum). Pure.
 *
 * Why the own-status condition: a fault that only cuts UDP between buddies (or a group of two
 * where each reports the other) must not fail over a server that still reports to the master.
 * A dead server's status stops with it, so this costs no detection time.
 *
 * A server that reports all its storage failed, or that recording cannot start although its cameras
 * answer (Mirasys' triggers), is down too once the report has held for FarmHealthMissedUdpMs.
 */
export function judge(input: LivenessInput): Map<string, Judgement> {
  const buddies = liveBuddies(input.servers);
  const freshMs = Math.max(3 * input.statusIntervalMs, input.missedMs);
  const out = new Map<string, Judgement>();
  const judging = input.now >= input.judgeFrom;
  for (const s of input.servers) {
    if (s.state === 'down') {
      out.set(s.id, { state: 'down', reporters: [] });
      continue;
    }
    // A server drained for maintenance is expected to go quiet (a reboot): nobody fails it over.
    if (s.maintenance) {
      out.set(s.id, { state: 'up', reporters: [] });
      continue;
    }
    const on = (t: NonNullable<Judgement['trigger']>) => judging && (!s.triggers || s.triggers.includes(t));
    const mine = buddies.get(s.id) ?? [];
    const reporters = mine.filter((b) => {
      const r = input.reports.get(b);
      return r !== undefined && input.now - r.at <= freshMs && r.suspects.includes(s.id);
    });
    const lastAt = input.reports.get(s.id)?.at ?? input.judgeFrom;
    const lostAfter = mine.length ? 2 * input.missedMs : input.missedMs;
    const silent = input.now - lastAt > Math.min(3 * input.statusIntervalMs, input.missedMs);
    const own = input.reports.get(s.id);
    // The server's own reports count once they have held for the threshold (one bad status is no failure).
    const held = (since: number | undefined) => since !== undefined && input.now - since >= input.missedMs;
    if (on('buddy-quorum') && silent && quorumReached(reporters.length, mine.length))
      out.set(s.id, { state: 'down', reporters, trigger: 'buddy-quorum' });
    else if (on('status-lost') && input.now - Math.max(lastAt, input.judgeFrom) > lostAfter)
      out.set(s.id, { state: 'down', reporters, trigger: 'status-lost' });
    else if (on('storage-failed') && held(own?.storageFailedSince))
      out.set(s.id, { state: 'down', reporters, trigger: 'storage-failed' });
    else if (on('recording-failed') && held(own?.recordingFailedSince))
      out.set(s.id, { state: 'down', reporters, trigger: 'recording-failed' });
    else out.set(s.id, { state: reporters.length ? 'suspect' : 'up', reporters });
  }
  return out;
}
