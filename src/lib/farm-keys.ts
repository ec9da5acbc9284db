import { createHmac } from 'node:crypto';

/**
 * The key derived from the farm key for the bearer token of
 * the recording servers' APIs (and, until per-server identity, what a node shows on the master's
 * node channel; it opens none of the master's other routes: people log in). Sent over plain HTTP,
 * the token must not give away the key of the buddy system.
 */
export function farmKeys(farmKey: Buffer): { api: Buffer } {
  const derive = (label: string) => createHmac('sha256', farmKey).update(label).digest();
  return { api: Buffer.from(derive('vigil api v1').toString('hex')) };
}
