import { createHmac } from 'node:crypto';

/**
 * The bearer token Vigil before issue 10 derived from the farm key: it was full admin and every
 * node sent it. Nothing accepts it now; tests send it to show that it opens nothing.
 */
export function legacyFarmToken(farmKey: string): string {
  return createHmac('sha256', Buffer.from(farmKey)).update('vigil api v1').digest().toString('hex');
}
