import type { Role } from './principal.ts';

/**
 * Who may call a route of the master:
 * - `public`: anyone (health, the OpenAPI document, login, setup with its one-time token, the CA certificate);
 * - `join`: anyone; the handler checks the enrollment's join token itself;
 * - `server-self`: a recording server, for itself only (the node channel's `:id` is the server's own);
 * - a role: a person (session or API token) with at least that role.
 */
export type Access = 'public' | 'join' | 'server-self' | Role;

/**
 * The access rule of every route of the master, keyed `"<METHOD> <route url as registered>"`. A
 * route missing here answers 500 (the table test, src/master/route-access.test.ts, fails first).
 * viewer: what shows footage, servers, cameras, the failover log; operator: moving cameras, verify;
 * admin: the configuration (read too: it shows hosts and storage paths), people, tokens, audit,
 * enrollment.
 */
export const ROUTE_RULES: Readonly<Record<string, Access>> = {
  'GET /api/v1/health': 'public',
  'GET /api/v1/openapi.json': 'public',
  'GET /api/v1/ca.pem': 'public',
  'POST /api/v1/login': 'public',
  'POST /api/v1/setup': 'public',
  'POST /api/v1/enroll': 'join',
  // The web console's files: the page logs in through the API, which is what is guarded.
  'GET /': 'public',
  'GET /assets/:file': 'public',
  'GET /*': 'public',
  'GET /api/*': 'viewer',

  'POST /api/v1/nodes/:id/status': 'server-self',
  'GET /api/v1/nodes/:id/assignment': 'server-self',

  'POST /api/v1/logout': 'viewer',
  'GET /api/v1/me': 'viewer',
  'GET /api/v1/master': 'viewer',
  'GET /api/v1/events': 'viewer',
  'PUT /api/v1/me/password': 'viewer',
  'GET /api/v1/servers': 'viewer',
  'GET /api/v1/cameras': 'viewer',
  'GET /api/v1/failovers': 'viewer',
  'GET /api/v1/copybacks': 'viewer',
  'GET /api/v1/cameras/:id/timeline': 'viewer',
  'GET /api/v1/cameras/:id/playback.m3u8': 'viewer',
  'GET /api/v1/cameras/:id/export.mp4': 'viewer',
  'GET /api/v1/cameras/:id/live.m3u8': 'viewer',
  'GET /api/v1/buffer/:server/:camera/:stream/:start': 'viewer',
  'GET /api/v1/segments/:server/:segment': 'viewer',

  'POST /api/v1/servers/:id/failover': 'operator',
  'POST /api/v1/servers/:id/drain': 'operator',
  'POST /api/v1/servers/:id/resume': 'operator',
  'POST /api/v1/servers/:id/failback': 'operator',
  'POST /api/v1/cameras/:id/move': 'operator',
  // Operator, not viewer: it has every server read a day of a camera's files in full.
  'GET /api/v1/verify': 'operator',

  'GET /api/v1/config': 'admin',
  'PUT /api/v1/config': 'admin',
  'GET /api/v1/users': 'admin',
  'POST /api/v1/users': 'admin',
  'PUT /api/v1/users/:name': 'admin',
  'DELETE /api/v1/users/:name': 'admin',
  'GET /api/v1/tokens': 'admin',
  'POST /api/v1/tokens': 'admin',
  'DELETE /api/v1/tokens/:id': 'admin',
  'GET /api/v1/audit': 'admin',
  'POST /api/v1/servers/:id/enroll': 'admin',
};

/** The rule of a route (HEAD goes as its GET); undefined when it has none. */
export function accessOf(
  method: string,
  url: string,
  rules: Readonly<Record<string, Access>> = ROUTE_RULES,
): Access | undefined {
  const m = method === 'HEAD' ? 'GET' : method;
  return Object.hasOwn(rules, `${m} ${url}`) ? rules[`${m} ${url}`] : undefined;
}
