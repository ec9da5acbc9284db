import type { NodeStatus } from '../protocol/status.ts';
import { nodeAssignmentPath, nodeStatusPath, type StatusReply } from '../protocol/node-channel.ts';
import { farmClientTls, type FarmTls } from '../auth/peer-identity.ts';
import { tlsFetch, type TlsFetch } from '../lib/http/tls.ts';
import { deadline } from '../lib/deadline.ts';

/**
 * How long a status may take before the next master is asked. Short: a master that is paused or cut
 * off holds the connection without answering, and the new leader must hear this server within a
 * second or so of its lease (it judges silence from its own start). A status that times out is not
 * lost (its segments go again) and still counted as heard at arrival by a master that got it.
 */
const STATUS_TIMEOUT_MS = 1000;

/** A long poll ended because this server found the leader at another master (ask there, at once). */
export class LeaderMoved extends Error {
  constructor() {
    super('the leading master changed');
  }
}

/**
 * HTTPS channel from a recording server to the master(s). It talks to the one that answered last
 * (the leader); when that fails, it tries the others in turn: a standby answers 503 NOT_LEADER with
 * the leader it knows of, which is asked next. It presents the server's own certificate (its only
 * credential) and trusts the farm CA only, and the peer must be a master (urn:vigil:master): a status
 * never goes to anyone else. A status taken by another master than before ends the long poll
 * waiting at the old one (it may hang at a master that was paused or cut off).
 */
export class MasterClient {
  private preferred = 0;
  private readonly http: TlsFetch;
  private moved = new AbortController();

  constructor(
    private readonly urls: string[],
    private readonly serverId: string,
    identity: FarmTls,
    /** Hears the master that answers from now on, when it changes (the node logs it). */
    private readonly onLeader?: (url: string) => void,
  ) {
    this.http = tlsFetch(farmClientTls(identity, 'master'));
  }

  /** Long-polls the assignment newer than `after`, as the master sent it (the caller validates it); throws when no master answers. */
  async assignment(after: number, signal: AbortSignal, term?: number): Promise<unknown> {
    const moved = this.moved.signal;
    try {
      return await this.request(
        nodeAssignmentPath(this.serverId, after, term),
        { method: 'GET' },
        25_000,
        AbortSignal.any([signal, moved]),
      );
    } catch (err) {
      if (moved.aborted && !signal.aborted) throw new LeaderMoved();
      throw err;
    }
  }

  /**
   * Posts a status; the master's answer (its clock's fields only when they are numbers); throws
   * when no master takes it ("<status> <body>" when one refused it).
   */
  async status(s: NodeStatus, signal: AbortSignal): Promise<Partial<StatusReply>> {
    const body = await this.request(
      nodeStatusPath(this.serverId),
      { method: 'POST', body: JSON.stringify(s), headers: { 'content-type': 'application/json' } },
      STATUS_TIMEOUT_MS,
      signal,
    );
    const r = (body ?? {}) as Record<string, unknown>;
    const num = (v: unknown) => (typeof v === 'number' && Number.isFinite(v) ? v : undefined);
    return { masterTimeMs: num(r.masterTimeMs), masterHeldMs: num(r.masterHeldMs) };
  }

  /** Closes the connections. */
  close(): Promise<void> {
    return this.http.close();
  }

  private async request(
    path: string,
    init: { method: string; body?: string; headers?: Record<string, string> },
    timeoutMs: number,
    signal: AbortSignal,
  ): Promise<unknown> {
    let last: unknown;
    const order = this.urls.map((_, i) => (this.preferred + i) % this.urls.length);
    const tried = new Set<number>();
    while (order.length) {
      const idx = order.shift()!;
      if (tried.has(idx)) continue;
      tried.add(idx);
      const limit = deadline(timeoutMs, signal);
      try {
        const res = await this.http.fetch(this.urls[idx] + path, { ...init, signal: limit.signal });
        const body = (await res.json()) as {
          error?: { code?: unknown; details?: { leader?: { url?: unknown } }[] };
        } | null;
        if (!res.ok) {
          // A standby names the leader: ask it next (if it is one of ours).
          const e = body?.error;
          const hinted = e?.code === 'NOT_LEADER' ? this.indexOf(e.details?.[0]?.leader?.url) : -1;
          if (hinted >= 0) order.unshift(hinted);
          throw new Error(`${res.status} ${JSON.stringify(body)}`);
        }
        this.settle(idx);
        return body;
      } catch (err) {
        if (signal.aborted) throw err;
        last = err;
      } finally {
        limit.clear();
      }
    }
    throw last;
  }

  /** The master at `idx` answered: it is asked first from now on; a long poll held elsewhere ends. */
  private settle(idx: number): void {
    if (idx === this.preferred) return;
    this.onLeader?.(this.urls[idx]);
    this.preferred = idx;
    const old = this.moved;
    this.moved = new AbortController();
    old.abort();
  }

  private indexOf(url: unknown): number {
    if (typeof url !== 'string') return -1;
    const norm = (u: string) => u.replace(/\/+$/, '');
    return this.urls.findIndex((u) => norm(u) === norm(url));
  }
}
