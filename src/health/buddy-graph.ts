/**
 * Buddy graph of one redundancy group: who watches whom. Servers sorted by id sit on a ring and
 * each is joined to its neighbours at distance 1..ceil(k/2) on both sides, k = min(3, n-1).
 * The relation is symmetric (buddies send each other Alives and watch each other), the ring keeps
 * it connected, and every server gets at least k buddies. Same input, same graph.
 */
export function buddyGraph(serverIds: readonly string[]): Map<string, string[]> {
  const ids = [...new Set(serverIds)].sort();
  const n = ids.length;
  const graph = new Map<string, string[]>(ids.map((id) => [id, []]));
  const k = Math.min(3, n - 1);
  const reach = Math.ceil(k / 2);
  for (let i = 0; i < n; i++) {
    const set = new Set<string>();
    for (let d = 1; d <= reach; d++) {
      set.add(ids[(i + d) % n]);
      set.add(ids[(i - d + n) % n]);
    }
    set.delete(ids[i]);
    graph.set(ids[i], [...set].sort());
  }
  return graph;
}
