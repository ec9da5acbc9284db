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
    return new Map(
      [...this.live].map(([id, l]) => [
        id,
        {
          at: l.at,
          suspects: l.status.suspects,
          storageFailedSince: l.storageFailedSince,
          recordingFailedSince: l.recordingFailedSince,
        },
      ]),
    );
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
