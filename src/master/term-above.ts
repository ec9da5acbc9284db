/** An assignment's place in the order servers obey: the term first, then the generation. */
export interface TermGeneration {
  term: number;
  generation: number;
}

/**
 * The term a leader must lead on under for a server holding `held` to obey it, or undefined when it
 * obeys already. A server only ever holds what a leader served, so a pair above the leader's own
 * (a higher term, or its own term with a higher generation) means the store is behind the farm: it
 * was restored from an older copy (or a replica promoted behind), and the server would refuse every
 * assignment sent from it. Pure.
 */
export function termAbove(held: TermGeneration, mine: TermGeneration): number | undefined {
  const ahead = held.term > mine.term || (held.term === mine.term && held.generation > mine.generation);
  return ahead ? held.term + 1 : undefined;
}
