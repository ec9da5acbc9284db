import type { NodeStatus } from '../protocol/status.ts';
import { nodeAssignmentPath, nodeStatusPath } from '../protocol/node-channel.ts';
import { farmClientTls, type FarmTls } from '../auth/peer-identity.ts';
import { tlsFetch, type TlsFetch } from '../lib/http/tls.ts';

/**
 * HTTPS channel from a recording server to the master(s); tries each master URL in turn. It
 * presents the server's own certificate (its only credential) and trusts the farm CA only, and the
 * peer must be the master (urn:vigil:master): a status never goes to anyone else.
 */
export class MasterClient {
  private preferred = 0;
  private readonly http: TlsFetch;

  constructor(
    private readonly urls: string[],
    private readonly serverId: string,
    identity: FarmTls,
  ) {
    this.http = tlsFetch(farmClientTls(identity, 'master'));
  }

  /** Long-polls the assignment newer than `after`, as the master sent it (the caller validates it); throws when no master answers. */
  assignment(after: number, signal: AbortSignal): Promise<unknown> {
    return this.request(nodeAssignmentPath(this.serverId, after), { method: 'GET' }, 25_000, signal);
  }

  /**
   * Posts a status; returns the master's time in its answer (undefined from a master that sends
   * none); throws when no master takes it ("<status> <body>" when one refused it).
   */
  async status(s: NodeStatus, signal: AbortSignal): Promise<number | undefined> {
    const answer = await this.request(
      nodeStatusPath(this.serverId),
      { method: 'POST', body: JSON.stringify(s), headers: { 'content-type': 'application/json' } },
      3000,
      signal,
    );
    const t = (answer as { masterTimeMs?: unknown } | null)?.masterTimeMs;
    return typeof t === 'number' && Number.isFinite(t) ? t : undefined;
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
    for (let i = 0; i < this.urls.length; i++) {
      const idx = (this.preferred + i) % this.urls.length;
      try {
        const res = await this.http.fetch(this.urls[idx] + path, {
          ...init,
          signal: AbortSignal.any([signal, AbortSignal.timeout(timeoutMs)]),
        });
        const body = await res.json();
        if (!res.ok) throw new Error(`${res.status} ${JSON.stringify(body)}`);
        this.preferred = idx;
        return body;
      } catch (err) {
        if (signal.aborted) throw err;
        last = err;
      }
    }
    throw last;
  }
}
