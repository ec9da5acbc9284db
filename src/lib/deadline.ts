/**
 * A signal that aborts when `signal` does or after `ms` (a TimeoutError), and `clear` to drop the
 * timer once the work is done. Not AbortSignal.any([…, AbortSignal.timeout(ms)]): on Node 20 the
 * timeout signal inside `any` can be garbage-collected and then never fires (seen: a node's status
 * to a paused master waited for the connect timeout, 10 s, not its own 1 s; the new leader failed
 * the server over for silence). A timer of our own holds it.
 */
export function deadline(ms: number, signal?: AbortSignal): { signal: AbortSignal; clear: () => void } {
  const c = new AbortController();
  const timer = setTimeout(() => c.abort(new DOMException(`timed out after ${ms} ms`, 'TimeoutError')), ms);
  timer.unref();
  const onAbort = () => c.abort(signal?.reason);
  if (signal?.aborted) c.abort(signal.reason);
  else signal?.addEventListener('abort', onAbort, { once: true });
  return {
    signal: c.signal,
    clear: () => {
      clearTimeout(timer);
      signal?.removeEventListener('abort', onAbort);
    },
  };
}
