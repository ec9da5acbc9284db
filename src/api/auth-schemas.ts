import { Type } from '@sinclair/typebox';
import { MAX_PASSWORD_LENGTH } from '../auth/passwords.ts';

// Request and answer shapes of the accounts API (login, sessions, users, tokens): the one source
// for validation, serialization and the OpenAPI document.

export const RoleSchema = Type.Union([Type.Literal('viewer'), Type.Literal('operator'), Type.Literal('admin')], {
  description:
    'viewer: live, playback, export; operator: also failover, drain, resume, failback, move; admin: also configuration, users, tokens, audit',
});
export const UserName = Type.String({
  minLength: 1,
  maxLength: 64,
  pattern: '^[A-Za-z0-9][A-Za-z0-9._@-]*$',
  description: 'letters, digits and . _ @ - (not first)',
});
/** Any password is accepted to log in; a new one is checked against the policy by the handler (every problem named). */
export const Password = Type.String({ minLength: 1, maxLength: MAX_PASSWORD_LENGTH });
export const TokenName = Type.String({ minLength: 1, maxLength: 64, pattern: '^[A-Za-z0-9][A-Za-z0-9._-]*$' });
const Ms = Type.Number({ description: 'epoch ms' });
const MsOrNull = Type.Union([Ms, Type.Null()]);

export const LoginBody = Type.Object(
  {
    user: UserName,
    password: Password,
    token: Type.Optional(
      Type.Boolean({ description: "also answer the session's secret (for the CLI, which sends it as a bearer)" }),
    ),
  },
  { additionalProperties: false },
);
export const SessionAnswer = Type.Object({
  user: Type.String(),
  role: RoleSchema,
  expiresAt: Type.Number({ description: "the session's absolute end (epoch ms); it also ends after 12 h unused" }),
  secret: Type.Optional(Type.String({ description: 'the vs_ session secret, only when asked (`token: true`)' })),
});
export const SetupBody = Type.Object(
  {
    setupToken: Type.String({ minLength: 1, maxLength: 200, description: "the token in the master's data dir" }),
    user: UserName,
    password: Password,
  },
  { additionalProperties: false },
);
export const MeView = Type.Object({
  user: Type.String(),
  role: RoleSchema,
  via: Type.Union([Type.Literal('session'), Type.Literal('token')]),
  token: Type.Optional(Type.String({ description: "the API token's name, when via a token" })),
});
export const OwnPasswordBody = Type.Object(
  { oldPassword: Password, password: Password },
  { additionalProperties: false },
);
export const UserView = Type.Object({ name: Type.String(), role: RoleSchema, createdAt: Ms, disabled: Type.Boolean() });
export const NewUserBody = Type.Object(
  { name: UserName, role: RoleSchema, password: Password },
  { additionalProperties: false },
);
export const UserChangeBody = Type.Object(
  {
    role: Type.Optional(RoleSchema),
    password: Type.Optional(Password),
    disabled: Type.Optional(Type.Boolean({ description: 'a disabled user cannot log in; their sessions end' })),
  },
  { additionalProperties: false, minProperties: 1 },
);
export const UserParams = Type.Object({ name: UserName });
export const TokenView = Type.Object({
  id: Type.Integer(),
  name: Type.String(),
  user: Type.String(),
  role: RoleSchema,
  createdAt: Ms,
  expiresAt: MsOrNull,
  lastUsedAt: MsOrNull,
  revokedAt: MsOrNull,
});
export const NewTokenBody = Type.Object(
  {
    name: TokenName,
    role: Type.Optional(Type.Union(RoleSchema.anyOf, { description: 'at most your own role; default: your role' })),
    expiresInDays: Type.Optional(Type.Integer({ minimum: 1, maximum: 3650, description: 'default: never expires' })),
  },
  { additionalProperties: false },
);
export const CreatedToken = Type.Intersect([
  TokenView,
  Type.Object({
    secret: Type.String({ description: 'the vt_ secret, shown this once (the master keeps only its hash)' }),
  }),
]);
export const TokenParams = Type.Object({ id: Type.Integer({ minimum: 1 }) });
export const Ok = Type.Object({ ok: Type.Boolean() });
