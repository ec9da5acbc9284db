import type { FastifyInstance } from 'fastify';
import { Type } from '@sinclair/typebox';
import type { Store, UserChangeRefusal, UserRow, ApiTokenRow } from '../store/store.ts';
import { roleAtLeast, type Role } from '../auth/principal.ts';
import { hashPassword, passwordProblems } from '../auth/passwords.ts';
import { newSecret, secretHash } from '../auth/tokens.ts';
import { tokenLive } from '../auth/session-policy.ts';
import { VigilError, refused } from '../lib/errors.ts';
import { ErrorBody } from './schemas.ts';
import {
  CreatedToken,
  NewTokenBody,
  NewUserBody,
  Ok,
  TokenParams,
  TokenView,
  UserChangeBody,
  UserParams,
  UserView,
} from './auth-schemas.ts';
import { person } from './auth-hook.ts';

const DAY = 86_400_000;

/** Users and API tokens, for admins (the rules are in route-rules.ts). */
export function registerAccountRoutes(app: FastifyInstance, d: { store: Store; now: () => number }): void {
  const { store, now } = d;
  const errors = { '4xx': ErrorBody };

  app.get(
    '/api/v1/users',
    { schema: { summary: 'the users and their roles', response: { 200: Type.Array(UserView), ...errors } } },
    async () => (await store.users()).map(userView),
  );

  app.post(
    '/api/v1/users',
    {
      schema: {
        summary: 'adds a user (the password policy: at least 12 characters, not the user name)',
        body: NewUserBody,
        response: { 200: UserView, ...errors },
      },
    },
    async (req) => {
      const b = req.body as { name: string; role: Role; password: string };
      const problems = passwordProblems(b.password, b.name);
      if (problems.length) throw refused('PASSWORD_REFUSED', 'password', problems);
      const createdAt = now();
      if (
        !(await store.createUser({
          name: b.name,
          role: b.role,
          passwordHash: await hashPassword(b.password),
          createdAt,
        }))
      )
        throw new VigilError('NAME_TAKEN', `user ${b.name} exists already`);
      return { name: b.name, role: b.role, createdAt, disabled: false };
    },
  );

  app.put(
    '/api/v1/users/:name',
    {
      schema: {
        summary:
          "changes a user's role, password or disabled flag (a new password or disabling ends their sessions); the last admin stays one",
        params: UserParams,
        body: UserChangeBody,
        response: { 200: UserView, ...errors },
      },
    },
    async (req) => {
      const { name } = req.params as { name: string };
      const b = req.body as { role?: Role; password?: string; disabled?: boolean };
      if (b.password !== undefined) {
        const problems = passwordProblems(b.password, name);
        if (problems.length) throw refused('PASSWORD_REFUSED', 'password', problems);
      }
      const passwordHash = b.password === undefined ? undefined : await hashPassword(b.password);
      userRefusal(name, await store.updateUser(name, { role: b.role, passwordHash, disabled: b.disabled }));
      return userView((await store.user(name))!);
    },
  );

  app.delete(
    '/api/v1/users/:name',
    {
      schema: {
        summary: 'removes a user, their sessions and API tokens; not the last admin',
        params: UserParams,
        response: { 200: Ok, ...errors },
      },
    },
    async (req) => {
      const { name } = req.params as { name: string };
      userRefusal(name, await store.deleteUser(name));
      return { ok: true };
    },
  );

  app.get(
    '/api/v1/tokens',
    {
      schema: {
        summary: 'every API token (never its secret), revoked ones too',
        response: { 200: Type.Array(TokenView), ...errors },
      },
    },
    async () => (await store.apiTokens()).map(tokenView),
  );

  app.post(
    '/api/v1/tokens',
    {
      schema: {
        summary:
          "creates an API token of the caller's, for scripts (Authorization: Bearer vt_…); its role at most the caller's, its secret shown this once",
        body: NewTokenBody,
        response: { 200: CreatedToken, ...errors },
      },
    },
    async (req) => {
      const p = person(req);
      const b = req.body as { name: string; role?: Role; expiresInDays?: number };
      const role = b.role ?? p.role;
      if (!roleAtLeast(p.role, role))
        throw new VigilError('FORBIDDEN', `a token's role is at most its user's: ${p.user} is ${p.role}`);
      const at = now();
      if ((await store.apiTokens()).some((t) => t.user === p.user && t.name === b.name && tokenLive(t, at)))
        throw new VigilError('NAME_TAKEN', `${p.user} has a token named ${b.name} already`);
      const secret = newSecret('token');
      const expiresAt = b.expiresInDays === undefined ? null : at + b.expiresInDays * DAY;
      const id = await store.createApiToken({
        hash: secretHash(secret),
        name: b.name,
        user: p.user,
        role,
        createdAt: at,
        expiresAt,
      });
      const row = { id, name: b.name, user: p.user, role, createdAt: at, expiresAt, lastUsedAt: null, revokedAt: null };
      return { ...tokenView(row), secret };
    },
  );

  app.delete(
    '/api/v1/tokens/:id',
    {
      schema: { summary: 'revokes an API token (at once)', params: TokenParams, response: { 200: Ok, ...errors } },
    },
    async (req) => {
      const { id } = req.params as { id: number };
      if (!(await store.revokeApiToken(id, now())))
        throw new VigilError('NOT_FOUND', `no API token ${id} (or revoked already)`, 404);
      return { ok: true };
    },
  );
}

function userRefusal(name: string, r: UserChangeRefusal | undefined): void {
  if (r === 'not-found') throw new VigilError('NOT_FOUND', `no user ${name}`, 404);
  if (r === 'last-admin') throw new VigilError('LAST_ADMIN', `${name} is the last admin: make another admin first`);
}

function userView(u: UserRow) {
  return { name: u.name, role: u.role, createdAt: u.createdAt, disabled: u.disabled };
}

function tokenView(t: ApiTokenRow) {
  return {
    id: t.id,
    name: t.name,
    user: t.user,
    role: t.role,
    createdAt: t.createdAt,
    expiresAt: t.expiresAt,
    lastUsedAt: t.lastUsedAt,
    revokedAt: t.revokedAt,
  };
}
