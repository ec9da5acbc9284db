import type { LivenessInput } from './liveness.ts';
import type { NodeStatus } from '../protocol/status.ts';
import { nodeApiUrl } from '../protocol/node-api.ts';

/** What the master last heard from a recording server. */
export interface Live {
  at: number;
  bootId: string;
  status: NodeStatus;
  /** Since when its statuses say all its storage failed / recording cannot start (undefined: they do not). */
  storageFailedSince?: number;
  recordingFailedSince?: number;
}

/** The last status of each recording server, and since when its own failure reports hold. */
export class Heard {
  private readonly live = new Map<string, Live>();
  /** When a server last spoke without a status (its enrollment). */
  private readonly contacts = new Map<string, number>();

  /**
   * A server spoke at `at` without a status: it enrolled, a moment before its first status. Its
   * silence is counted from here, so a server enrolled late in the master's start delay is not
   * failed over for a status it has not had the time to send.
   */
  contact(serverId: string, at: number): void {
    this.contacts.set(serverId, Math.max(at, this.contacts.get(serverId) ?? at));
  }

  /** A status that arrived at `at`. */
  hear(serverId: string, status: NodeStatus, at: number): void {
    const prev = this.live.get(serverId);
    this.live.set(serverId, {
      at,
      bootId: status.bootId,
      status,
      storageFailedSince: status.storage?.allFailed ? (prev?.storageFailedSince ?? at) : undefined,
      recordingFailedSince: status.recordingFailed ? (prev?.recordingFailedSince ?? at) : undefined,
    });
  }

  /** The last status of a server. */
  of(serverId: string): Live | undefined {
    return this.live.get(serverId);
  }

  /** The reports liveness is judged on. */
  reports(): LivenessInput['reports'] {
    const out: LivenessInput['reports'] = new Map([...this.contacts].map(([id, at]) => [id, { at, suspects: [] }]));
    for (const [id, l] of this.live)
      out.set(id, {
        at: Math.max(l.at, this.contacts.get(id) ?? l.at),
        suspects: l.status.suspects,
        storageFailedSince: l.storageFailedSince,
        recordingFailedSince: l.recordingFailedSince,
      });
    return out;
  }
}

/**
 * Where a server's API listens: its host from the configuration and the port its last status
 * reported (nodeApiUrl). Undefined before it reported one. Nothing else of a status makes an address.
 */
export function apiUrlOf(server: { host: string } | undefined, live: Live | undefined): string | undefined {
  const port = live?.status.apiPort;
  return server && port !== undefined ? nodeApiUrl(server.host, port) : undefined;
}
