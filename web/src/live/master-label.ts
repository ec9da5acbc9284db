import type { MasterInfo } from '../api/client.ts';

/** What the header needs of a master (the service channel's `master` has no `masters` list). */
type Answering = Pick<MasterInfo, 'id' | 'leader' | 'term' | 'leaderId'>;

/**
 * The header's words for the master answering (pure): "m1 · leads · term 7", or for a standby
 * "m2 · standby · leader m1 · term 7", and "no leader" while a takeover is under way — so whoever
 * looks sees at once whether the page comes from the leader and which one leads.
 */
export function masterLabel(m: Answering): string {
  if (m.leader) return `${m.id} · leads · term ${m.term}`;
  if (!m.leaderId) return `${m.id} · standby · no leader`;
  return `${m.id} · standby · leader ${m.leaderId} · term ${m.term}`;
}
