import type { FastifyRequest } from 'fastify';
import type { Store } from '../store/store.ts';
import { CredentialCache, type CredentialStore } from './credential-cache.ts';
import { roleAtLeast, type Principal } from '../auth/principal.ts';
import { accessOf, ROUTE_RULES, type Access } from '../auth/route-rules.ts';
import { secretHash, secretKind } from '../auth/tokens.ts';
import { lowerRole, sessionLive, tokenLive, touchDue } from '../auth/session-policy.ts';
import { VigilError } from '../lib/errors.ts';

/** The browser session's cookie. */
export const SESSION_COOKIE = 'vigil_session';

/** What the authentication hook is built from. */
export interface AuthHookOptions {
  store: CredentialStore & Pick<Store, 'credentialsChanged'>;
  /**
   * The recording server a request comes from, when it proves one (a verified client certificate of
   * an enrolled server); undefined for anyone else. Asked first, before any bearer or cookie.
   */
  identifyServer?: (req: FastifyRequest) => Promise<string | undefined>;
  /** The access table (default ROUTE_RULES). */
  rules?: Readonly<Record<string, Access>>;
  now?: () => number;
}

/**
 * THE authentication hook of the master (one `onRequest` hook on the app, so it runs before the
 * body is read): finds who is asking — a server (identifyServer), a bearer secret (`vt_` API token,
 * `vs_` session), or the `vigil_session` cookie — sets `req.principal`, and enforces the route's
 * rule (route-rules.ts): 401 UNAUTHORIZED without a valid credential, 403 FORBIDDEN with too low a
 * role or a server speaking for another. Public routes pass with or without credentials (a bad
 * one is ignored there); an unknown URL needs a credential like any route before it answers 404; a
 * route without a rule answers 500.
 */
export function authHook(o: AuthHookOptions): (req: FastifyRequest) => Promise<void> {
  const rules = o.rules ?? ROUTE_RULES;
  const now = o.now ?? Date.now;
  const credentials = new CredentialCache(o.store, now);
  return async (req) => {
    const url = req.routeOptions.url;
    const access = url === undefined ? undefined : accessOf(req.method, url, rules);
    if (url !== undefined && access === undefined)
      throw new VigilError('INTERNAL', `no access rule for ${req.method} ${url}`);
    const found = await identify(req, o.identifyServer, credentials, now());
    if (access === 'public' || access === 'join') {
      if (found !== 'bad') req.principal = found;
      return;
    }
    if (found === 'bad') throw new VigilError('UNAUTHORIZED', 'invalid, expired or revoked credentials');
    if (!found) throw new VigilError('UNAUTHORIZED', 'credentials needed: a login session or an API token');
    req.principal = found;
    if (access === undefined) return; // no such route: the 404 answers, to those who may ask at all
    const refusal = refusalOf(found, access, req.params as { id?: string });
    if (refusal) throw new VigilError('FORBIDDEN', refusal);
  };
}

/** Why `p` may not use a route of rule `access` (undefined: it may). */
function refusalOf(p: Principal, access: Access, params: { id?: string }): string | undefined {
  if (access === 'server-self') {
    if (p.kind !== 'server') return 'only a recording server uses the node channel';
    return p.server === params.id ? undefined : `server ${p.server} may not speak for server ${params.id}`;
  }
  if (p.kind === 'server') return 'a recording server may only use its node channel';
  if (access === 'public' || access === 'join' || roleAtLeast(p.role, access)) return undefined;
  return `needs the ${access} role (${p.user} is ${p.role})`;
}

/** The principal of a request, 'bad' when it carries a credential that opens nothing, undefined when none. */
async function identify(
  req: FastifyRequest,
  identifyServer: AuthHookOptions['identifyServer'],
  store: CredentialStore,
  now: number,
): Promise<Principal | 'bad' | undefined> {
  const server = identifyServer && (await identifyServer(req));
  if (server) return { kind: 'server', server };
  const secret = requestSecret(req);
  if (secret === undefined) return undefined;
  return (await userOfSecret(secret, store, now)) ?? 'bad';
}

/** The person of a request the hook let through (its rule names a role, so it is one). */
export function person(req: FastifyRequest): Extract<Principal, { kind: 'user' }> {
  const p = req.principal;
  if (p?.kind !== 'user') throw new VigilError('FORBIDDEN', 'a person’s credential is needed');
  return p;
}

/** The secret a request carries: `Authorization: Bearer …` first, else the session cookie; undefined when none. */
export function requestSecret(req: FastifyRequest): string | undefined {
  const auth = req.headers.authorization;
  if (auth !== undefined) return /^Bearer\s+(\S+)\s*$/i.exec(auth)?.[1] ?? '';
  return cookieValue(req.headers.cookie, SESSION_COOKIE);
}

/** One cookie's value from a Cookie header. */
export function cookieValue(header: string | undefined, name: string): string | undefined {
  for (const part of (header ?? '').split(';')) {
    const eq = part.indexOf('=');
    if (eq > 0 && part.slice(0, eq).trim() === name) return part.slice(eq + 1).trim();
  }
  return undefined;
}

/**
 * The person a session or API token secret stands for at `now`, or undefined (unknown, expired,
 * revoked, or its user disabled or gone). A token acts with the lower of its role and its user's.
 * Use is written at most once a minute; an expired session is removed when met.
 */
export async function userOfSecret(
  secret: string,
  store: CredentialStore,
  now: number,
): Promise<Principal | undefined> {
  const kind = secretKind(secret);
  if (kind === 'session') {
    const s = await store.session(secretHash(secret));
    if (!s || s.userDisabled) return undefined;
    if (!sessionLive(s, now)) {
      await store.deleteSession(s.hash);
      return undefined;
    }
    if (touchDue(s.lastSeenAt, now)) await store.touchSession(s.hash, now);
    return { kind: 'user', user: s.user, role: s.userRole, via: 'session' };
  }
  if (kind === 'token') {
    const t = await store.apiToken(secretHash(secret));
    if (!t || t.userDisabled || !tokenLive(t, now)) return undefined;
    if (touchDue(t.lastUsedAt, now)) await store.touchApiToken(t.id, now);
    return { kind: 'user', user: t.user, role: lowerRole(t.role, t.userRole), via: 'token', token: t.name };
  }
  return undefined;
}
