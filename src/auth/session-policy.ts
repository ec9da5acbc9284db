import { ROLES, type Role } from './principal.ts';

/** A session unused this long ends (a browser left open over night logs in again). */
export const SESSION_IDLE_MS = 12 * 3_600_000;
/** A session ends this long after the login, however much it is used. */
export const SESSION_MAX_MS = 7 * 24 * 3_600_000;
/** A credential's last use is written at most this often (not one store write per request). */
export const TOUCH_EVERY_MS = 60_000;

/** Whether a session may still be used at `now`: before its absolute end, and not idle for too long. */
export function sessionLive(s: { expiresAt: number; lastSeenAt: number }, now: number): boolean {
  return now < s.expiresAt && now - s.lastSeenAt < SESSION_IDLE_MS;
}

/** Whether an API token may still be used at `now`: not revoked, not past its end (if it has one). */
export function tokenLive(t: { expiresAt: number | null; revokedAt: number | null }, now: number): boolean {
  return t.revokedAt === null && (t.expiresAt === null || now < t.expiresAt);
}

/** Whether a credential last used at `last` should have its use written at `now`. */
export function touchDue(last: number | null, now: number): boolean {
  return last === null || now - last >= TOUCH_EVERY_MS;
}

/** The lower of two roles: a token never does more than its user may now (a user demoted since keeps only the new role). */
export function lowerRole(a: Role, b: Role): Role {
  return ROLES.indexOf(a) <= ROLES.indexOf(b) ? a : b;
}
