import type { NodeStatus } from '../protocol/status.ts';
import { nodeAssignmentPath, nodeStatusPath } from '../protocol/node-channel.ts';

/** HTTP channel from a recording server to the master(s); tries each master URL in turn. */
export class MasterClient {
  private preferred = 0;

  constructor(
    private readonly urls: string[],
    private readonly serverId: string,
    private readonly farmKey: Buffer,
  ) {}

  /** Long-polls the assignment newer than `after`, as the master sent it (the caller validates it); throws when no master answers. */
  assignment(after: number, signal: AbortSignal): Promise<unknown> {
    return this.request(nodeAssignmentPath(this.serverId, after), { method: 'GET' }, 25_000, signal);
  }

  async status(s: NodeStatus, signal: AbortSignal): Promise<void> {
    await this.request(
      nodeStatusPath(this.serverId),
      { method: 'POST', body: JSON.stringify(s), headers: { 'content-type': 'application/json' } },
      3000,
      signal,
    );
  }

  private async request(path: string, init: RequestInit, timeoutMs: number, signal: AbortSignal): Promise<unknown> {
    let last: unknown;
    for (let i = 0; i < this.urls.length; i++) {
      const idx = (this.preferred + i) % this.urls.length;
      try {
        const res = await fetch(this.urls[idx] + path, {
          ...init,
          headers: { ...(init.headers as Record<string, string>), authorization: `Bearer ${this.farmKey.toString()}` },
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
