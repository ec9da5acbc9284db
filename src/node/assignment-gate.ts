import { assignmentProblems, type Assignment } from '../protocol/assignment.ts';

/** What a recording server does with an assignment a master sent. */
export type Offer =
  | { kind: 'apply'; assignment: Assignment }
  | { kind: 'same' }
  | { kind: 'refused'; problems: string[] }
  | { kind: 'older'; term: number; generation: number };

/**
 * Which assignments a recording server obeys: only one that is valid (the protocol's schema), differs
 * from the one it holds, and is not older: (term, generation) compared in that order, so a master
 * deposed by a newer leader (paused, cut off, its lease over) cannot take back what the new one
 * decided. A refused one leaves the last good one in force ("when in doubt, record"), and the
 * generation it named is not asked for again, so the long poll waits for the next. Pure.
 */
export class AssignmentGate {
  /** The assignment in force. */
  current: Assignment | undefined;
  private refusedGeneration: number | undefined;

  constructor(initial?: Assignment) {
    this.current = initial;
  }

  /** The generation the next long poll waits past: the newest seen, obeyed or refused. */
  get after(): number {
    return Math.max(this.current?.generation ?? -1, this.refusedGeneration ?? -1);
  }

  /** Judges what a master sent. */
  offer(value: unknown): Offer {
    const problems = assignmentProblems(value);
    if (problems.length) {
      const g = (value as { generation?: unknown } | null)?.generation;
      if (Number.isSafeInteger(g)) this.refusedGeneration = g as number;
      return { kind: 'refused', problems };
    }
    const a = value as Assignment;
    this.refusedGeneration = undefined;
    const cur = this.current;
    if (cur && (a.term < cur.term || (a.term === cur.term && a.generation < cur.generation)))
      return { kind: 'older', term: a.term, generation: a.generation };
    // Each new leader takes a new term: a new term alone is a new assignment.
    if (cur && a.generation === cur.generation && a.term === cur.term) return { kind: 'same' };
    this.current = a;
    return { kind: 'apply', assignment: a };
  }
}
