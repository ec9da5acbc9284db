import type { MasterAnswer } from '../api/master-info.ts';

/** How long ago, in the largest unit that keeps it short: 0s, 45s, 12m, 3h, 2d. */
export function agoText(ms: number): string {
  const s = Math.max(0, Math.floor(ms / 1000));
  if (s < 120) return `${s}s`;
  if (s < 7200) return `${Math.floor(s / 60)}m`;
  if (s < 172_800) return `${Math.floor(s / 3600)}h`;
  return `${Math.floor(s / 86_400)}d`;
}

/**
 * The MASTER lines of `vigil status` (pure): the master answering, leading or a standby naming the
 * leader and its term (or that none leads: a takeover under way), then one line per master the
 * store has seen, so an operator sees at a glance which master leads and whether the standbys are
 * alive (a standby looks at the lease several times a second: "seen" grows only when it is gone).
 */
export function masterLines(m: MasterAnswer): string[] {
  const about = `${m.store} store, Vigil ${m.version}, up since ${new Date(m.startedAtMs).toISOString()}`;
  const head = m.leader
    ? `MASTER  ${m.id} leading (term ${m.term}, ${about})`
    : m.leaderId
      ? `MASTER  ${m.id} standby — leader ${m.leaderId}${m.leaderUrl ? ` ${m.leaderUrl}` : ''}, term ${m.term} (${about})`
      : `MASTER  ${m.id} standby — no master leads right now (a takeover is under way), last term ${m.term} (${about})`;
  const masters = m.masters;
  const leaderId = m.leader ? m.id : m.leaderId;
  const idWidth = Math.max(...masters.map((x) => x.id.length), 2) + 2;
  const urlWidth = Math.max(...masters.map((x) => x.url.length), 3) + 2;
  const rows = masters.map(
    (x) =>
      `  ${x.id.padEnd(idWidth)}${x.url.padEnd(urlWidth)}${(x.id === leaderId ? 'leader' : 'standby').padEnd(9)}${`seen ${agoText(x.seenAgoMs)} ago`.padEnd(14)}Vigil ${x.version}${x.bootId === m.bootId ? '  (answering)' : ''}`,
  );
  return [head, ...rows];
}
