import { Command } from 'commander';
import { ROLES } from '../auth/principal.ts';
import { clientOptions, type ClientOptions } from './client.ts';
import { masterAccess } from './credentials.ts';
import { callMaster } from './master-call.ts';
import type { Static } from '@sinclair/typebox';
import type { TokenView as TokenViewSchema } from '../api/auth-schemas.ts';

/** A token as GET /api/v1/tokens answers (the API's own schema). */
type TokenView = Static<typeof TokenViewSchema>;

const day = (ms: number | null) => (ms === null ? '-' : new Date(ms).toISOString().slice(0, 10));

/** `vigil token create|revoke|list`: named API tokens for scripts (an admin's). */
export function tokenCommand(): Command {
  const cmd = new Command('token').description('API tokens for scripts: Authorization: Bearer vt_…, or VIGIL_TOKEN');

  cmd.addCommand(
    clientOptions(
      new Command('create')
        .description('create a token of yours; prints its secret, shown this once')
        .argument('<name>')
        .option('--role <role>', `${ROLES.join(', ')}; at most yours (default: yours)`)
        .option('--expires-days <n>', 'ends after this many days (default: never)'),
    ).action(async (name: string, o: ClientOptions & { role?: string; expiresDays?: string }) => {
      if (o.role !== undefined && !(ROLES as readonly string[]).includes(o.role))
        throw new Error(`no role ${o.role}: ${ROLES.join(', ')}`);
      const days = o.expiresDays === undefined ? undefined : Number(o.expiresDays);
      if (days !== undefined && !(Number.isInteger(days) && days > 0))
        throw new Error('--expires-days: a whole number of days');
      const t = await callMaster<TokenView & { secret: string }>(masterAccess(o), 'POST', '/api/v1/tokens', {
        name,
        ...(o.role && { role: o.role }),
        ...(days && { expiresInDays: days }),
      });
      // The secret alone on stdout (for a script to take); what it is on stderr.
      console.error(
        `token #${t.id} ${t.name} (${t.role}) of ${t.user}, expires ${day(t.expiresAt)}; keep the secret, it is not shown again:`,
      );
      console.log(t.secret);
    }),
  );

  cmd.addCommand(
    clientOptions(new Command('revoke').description('revoke a token at once').argument('<id>')).action(
      async (id: string, o: ClientOptions) => {
        if (!/^\d+$/.test(id)) throw new Error(`a token's id is a number (vigil token list): ${id}`);
        await callMaster(masterAccess(o), 'DELETE', `/api/v1/tokens/${id}`);
        console.log(`revoked token #${id}`);
      },
    ),
  );

  cmd.addCommand(
    clientOptions(new Command('list').description('list the tokens (never their secrets)'))
      .option('--json', 'print the tokens as JSON')
      .action(async (o: ClientOptions & { json?: boolean }) => {
        const tokens = await callMaster<TokenView[]>(masterAccess(o), 'GET', '/api/v1/tokens');
        if (o.json) return console.log(JSON.stringify(tokens, null, 2));
        console.log('ID    NAME              USER          ROLE      EXPIRES     LAST USED   STATE');
        for (const t of tokens)
          console.log(
            `${String(t.id).padEnd(6)}${t.name.padEnd(18)}${t.user.padEnd(14)}${t.role.padEnd(10)}${day(t.expiresAt).padEnd(12)}${day(t.lastUsedAt).padEnd(12)}${t.revokedAt === null ? 'active' : 'revoked'}`,
          );
      }),
  );
  return cmd;
}
