/** Timer lateness beyond which the master counts itself stalled. */
const PAUSE_MS = 500;

/**
 * The controller's tick: `tick` every tickMs, never two at once (a slow store must not pile them
 * up), and `paused` when the timer itself came late by more than half a second: then the master was
 * stalled (starved of CPU, swapped, a long GC, SIGSTOP), and statuses that came meanwhile wait
 * unread in its sockets, so their silence is the master's own. Returns the stop function.
 */
export function startTicks(
  tickMs: number,
  now: () => number,
  tick: () => Promise<void>,
  paused: (at: number, ms: number) => void,
): () => void {
  let lastBeat = now();
  let pending = false;
  const timer = setInterval(() => {
    const at = now();
    if (at - lastBeat > tickMs + PAUSE_MS) paused(at, at - lastBeat);
    lastBeat = at;
    if (pending) return;
    pending = true;
    tick().finally(() => {
      pending = false;
    });
  }, tickMs);
  return () => clearInterval(timer);
}
