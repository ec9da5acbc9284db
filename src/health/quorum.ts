/** Symphony's rule: a server is confirmed down when more than half of its buddies report it. */
export function quorumReached(reporters: number, buddies: number): boolean {
  return buddies > 0 && reporters * 2 > buddies;
}
