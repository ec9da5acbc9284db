import { createHmac } from 'node:crypto';

/**
 * The key derived from the farm key for the bearer token of the master's API. Sent over plain
 * HTTP, the token must not give the farm key away. (The Alive keys are the master's to derive,
 * per pair of servers: src/health/alive-keys.ts.)
 */
export function farmKeys(farmKey: Buffer): { api: Buffer } {
  const derive = (label: string) => createHmac('sha256', farmKey).update(label).digest();
  return { api: Buffer.from(derive('vigil api v1').toString('hex')) };
}
