import type { FastifyInstance, FastifyReply } from 'fastify';
import type { Store } from '../store/store.ts';
import type { Role } from '../auth/principal.ts';
import { dummyHash, hashPassword, passwordProblems, verifyPassword } from '../auth/passwords.ts';
import { LoginThrottle } from '../auth/login-throttle.ts';
import { newSecret, secretHash, secretKind } from '../auth/tokens.ts';
import { SESSION_IDLE_MS, SESSION_MAX_MS } from '../auth/session-policy.ts';
import type { SetupToken } from '../auth/setup-token.ts';
import { VigilError, errorBody, refused } from '../lib/errors.ts';
import { ErrorBody } from './schemas.ts';
import { LoginBody, MeView, Ok, OwnPasswordBody, SessionAnswer, SetupBody, UserView } from './auth-schemas.ts';
import { SESSION_COOKIE, person, requestSecret } from './auth-hook.ts';
import { registerAccountRoutes } from './account-routes.ts';
import { clientAddress } from './client-address.ts';

/** What the accounts API is built from. */
export interface AuthRouteDeps {
  store: Store;
  /** The first admin's one-time token (SetupToken.prepare at start). */
  setup: SetupToken;
  throttle?: LoginThrottle;
  now?: () => number;
}

const WRONG = 'wrong user name or password';

/**
 * The accounts API: login (a session: cookie, and its secret for the CLI), logout, who am I, a
 * change of one's own password, the first admin's setup; users and tokens (account-routes.ts).
 */
export function registerAuthRoutes(app: FastifyInstance, d: AuthRouteDeps): void {
  const throttle = d.throttle ?? new LoginThrottle();
  void dummyHash(); // made now, so that the first unknown user costs no more than any other
  const now = d.now ?? Date.now;
  const { store } = d;
  const errors = { '4xx': ErrorBody };

  /** Checks a password of `user` through the throttle; undefined when it is accepted, else the answer to send. */
  const checkPassword = async (
    reply: FastifyReply,
    address: string,
    user: string,
    password: string,
  ): Promise<FastifyReply | undefined> => {
    const wait = throttle.waitMs(user, address, now());
    if (wait > 0) return tooMany(reply, wait);
    if (!throttle.begin(user, address)) return tooMany(reply, 1000);
    try {
      const u = await store.user(user);
      // An unknown user costs the same scrypt as a wrong password: the answer tells nothing.
      const ok = await verifyPassword(password, u?.passwordHash ?? (await dummyHash()));
      if (u && ok && !u.disabled) {
        throttle.succeeded(user);
        return undefined;
      }
      throttle.failed(user, address, now());
      return reply.status(401).send(errorBody(new VigilError('UNAUTHORIZED', WRONG)));
    } finally {
      throttle.end(user, address);
    }
  };

  /** A new session for `user`: kept by its hash, set as the cookie; the answer (with the secret when asked). */
  const startSession = async (reply: FastifyReply, user: string, role: Role, withSecret: boolean) => {
    const at = now();
    const secret = newSecret('session');
    const expiresAt = at + SESSION_MAX_MS;
    await store.deleteStaleSessions(at, at - SESSION_IDLE_MS);
    await store.createSession({ hash: secretHash(secret), user, createdAt: at, expiresAt, lastSeenAt: at });
    reply.header('set-cookie', sessionCookie(secret, SESSION_MAX_MS / 1000));
    return { user, role, expiresAt, ...(withSecret && { secret }) };
  };

  app.post(
    '/api/v1/login',
    {
      schema: {
        summary:
          'log in: a session (cookie vigil_session; HttpOnly, SameSite=Strict, Secure). Failures slow the next attempts per user and per address (429, Retry-After)',
        body: LoginBody,
        response: { 200: SessionAnswer, '4xx': ErrorBody },
      },
    },
    async (req, reply) => {
      const b = req.body as { user: string; password: string; token?: boolean };
      const refusal = await checkPassword(reply, clientAddress(req), b.user, b.password);
      if (refusal) return refusal;
      const u = (await store.user(b.user))!;
      return startSession(reply, u.name, u.role, b.token === true);
    },
  );

  app.post(
    '/api/v1/logout',
    {
      schema: {
        summary: 'ends the session the request came with (a token stays valid)',
        response: { 200: Ok, ...errors },
      },
    },
    async (req, reply) => {
      const secret = requestSecret(req);
      if (secret && secretKind(secret) === 'session') await store.deleteSession(secretHash(secret));
      reply.header('set-cookie', sessionCookie('', 0));
      return { ok: true };
    },
  );

  app.get(
    '/api/v1/me',
    { schema: { summary: 'who the credential of the request is', response: { 200: MeView, ...errors } } },
    async (req) => {
      const p = person(req);
      return { user: p.user, role: p.role, via: p.via, ...(p.token !== undefined && { token: p.token }) };
    },
  );

  app.put(
    '/api/v1/me/password',
    {
      schema: {
        summary:
          "changes one's own password (the old one needed); every session of the user ends, the caller's is replaced by a new one",
        body: OwnPasswordBody,
        response: { 200: SessionAnswer, ...errors },
      },
    },
    async (req, reply) => {
      const p = person(req);
      const b = req.body as { oldPassword: string; password: string };
      const problems = passwordProblems(b.password, p.user);
      if (problems.length) throw refused('PASSWORD_REFUSED', 'new password', problems);
      const refusal = await checkPassword(reply, clientAddress(req), p.user, b.oldPassword);
      if (refusal) return refusal;
      const changed = await store.updateUser(p.user, { passwordHash: await hashPassword(b.password) });
      if (changed === 'not-found') throw new VigilError('NOT_FOUND', `no user ${p.user}`, 404);
      // A CLI holding a session (bearer) gets the new secret to keep; a browser gets the new cookie.
      const viaBearer = req.headers.authorization !== undefined;
      return startSession(reply, p.user, p.role, viaBearer && p.via === 'session');
    },
  );

  let settingUp = false;
  app.post(
    '/api/v1/setup',
    {
      schema: {
        summary:
          "creates the first admin with the one-time setup token (the master's data dir, setup-token); refused once any user exists",
        body: SetupBody,
        response: { 200: UserView, '4xx': ErrorBody },
      },
    },
    async (req) => {
      const b = req.body as { setupToken: string; user: string; password: string };
      if (settingUp || (await store.userCount()) > 0)
        throw new VigilError('SETUP_DONE', 'this farm has users already: ask an admin', 409);
      if (!d.setup.matches(b.setupToken)) throw new VigilError('FORBIDDEN', 'wrong or used setup token');
      const problems = passwordProblems(b.password, b.user);
      if (problems.length) throw refused('PASSWORD_REFUSED', 'password', problems);
      settingUp = true;
      try {
        const passwordHash = await hashPassword(b.password);
        if (!d.setup.consume(b.setupToken)) throw new VigilError('FORBIDDEN', 'wrong or used setup token');
        const createdAt = now();
        await store.createUser({ name: b.user, role: 'admin', passwordHash, createdAt });
        req.log.info({ user: b.user }, 'first admin created with the setup token');
        return { name: b.user, role: 'admin', createdAt, disabled: false };
      } finally {
        settingUp = false;
      }
    },
  );

  registerAccountRoutes(app, { store, now });
}

/** The session cookie: a value, or '' with max age 0 to remove it. Secure: sent over TLS only. */
function sessionCookie(value: string, maxAgeS: number): string {
  return `${SESSION_COOKIE}=${value}; HttpOnly; SameSite=Strict; Secure; Path=/; Max-Age=${Math.floor(maxAgeS)}`;
}

function tooMany(reply: FastifyReply, waitMs: number): FastifyReply {
  const s = Math.max(1, Math.ceil(waitMs / 1000));
  return reply
    .status(429)
    .header('retry-after', String(s))
    .send(errorBody(new VigilError('TOO_MANY_REQUESTS', `too many failed logins: try again in ${s} s`)));
}
