import { Command } from 'commander';
import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import { Store } from '../store/store.ts';
import { ROLES, type Role } from '../auth/principal.ts';
import { hashPassword, passwordProblems } from '../auth/passwords.ts';
import { refusedMessage } from '../lib/errors.ts';
import { clientOptions, type ClientOptions } from './client.ts';
import { credentialsFile, masterAccess, readCredentials, writeCredentials } from './credentials.ts';
import { callMaster } from './master-call.ts';
import { PasswordInput } from './password-input.ts';

interface UserView {
  name: string;
  role: Role;
  createdAt: number;
  disabled: boolean;
}

function role(value: string): Role {
  if (!(ROLES as readonly string[]).includes(value)) throw new Error(`no role ${value}: ${ROLES.join(', ')}`);
  return value as Role;
}

/**
 * Opens the store at `location` for one change made without the API (on the master's machine). A
 * SQLite file's folder is made (0700) if missing: the first admin may come before the first start.
 */
async function onStore<T>(location: string, fn: (s: Store) => Promise<T>): Promise<T> {
  if (!/^postgres(ql)?:\/\//.test(location)) mkdirSync(dirname(location), { recursive: true, mode: 0o700 });
  const store = await Store.open(location);
  try {
    return await fn(store);
  } finally {
    await store.close();
  }
}

function checked(password: string, user: string): string {
  const problems = passwordProblems(password, user);
  if (problems.length) throw new Error(refusedMessage('password', problems));
  return password;
}

const passwordFile = (c: Command) =>
  c.option('--password-file <file>', 'read the password from the first line of this file (else a prompt, or stdin)');

/**
 * `vigil user add|passwd|role|remove|list`: the farm's people. Through the master's API with the
 * CLI's credentials (an admin's); `add` and `passwd` also straight on the store (`--store`, on the
 * master's machine: the first admin, or a lost admin password), and `add --setup-token` makes the
 * first admin with the master's one-time token.
 */
export function userCommand(): Command {
  const cmd = new Command('user').description("the farm's users and their roles (viewer, operator, admin)");

  cmd.addCommand(
    passwordFile(
      clientOptions(
        new Command('add')
          .description('add a user (the password is asked, never given on the command line)')
          .argument('<name>')
          .option('--role <role>', 'viewer, operator or admin', 'viewer')
          .option(
            '--store <location>',
            'write to the farm store directly (SQLite file or postgres:// URL), not through the API',
          )
          .option('--setup-token <token>', "the master's one-time setup token: creates the first admin"),
      ),
    ).action(
      async (
        name: string,
        o: ClientOptions & { role: string; store?: string; setupToken?: string; passwordFile?: string },
      ) => {
        const r = role(o.role);
        const password = checked(
          await new PasswordInput().read(`password for ${name}`, { file: o.passwordFile, confirm: true }),
          name,
        );
        if (o.store) {
          const created = await onStore(o.store, async (s) =>
            s.createUser({ name, role: r, passwordHash: await hashPassword(password), createdAt: Date.now() }),
          );
          if (!created) throw new Error(`user ${name} exists already`);
        } else if (o.setupToken) {
          if (r !== 'admin') throw new Error('the setup token makes the first admin: --role admin');
          await callMaster(masterAccess(o), 'POST', '/api/v1/setup', {
            setupToken: o.setupToken,
            user: name,
            password,
          });
        } else await callMaster(masterAccess(o), 'POST', '/api/v1/users', { name, role: r, password });
        console.log(`added ${name} (${r})`);
      },
    ),
  );

  cmd.addCommand(
    passwordFile(
      clientOptions(
        new Command('passwd')
          .description("change a user's password (an admin's), or without a name your own (the old one asked first)")
          .argument('[name]')
          .option('--old-password-file <file>', 'your own change: the old password from this file')
          .option('--store <location>', 'write to the farm store directly (a lost admin password)'),
      ),
    ).action(
      async (
        name: string | undefined,
        o: ClientOptions & { store?: string; passwordFile?: string; oldPasswordFile?: string },
      ) => {
        const input = new PasswordInput();
        if (name === undefined) {
          if (o.store) throw new Error('--store changes a named user: vigil user passwd NAME --store …');
          const a = masterAccess(o);
          const me = await callMaster<{ user: string; via: string }>(a, 'GET', '/api/v1/me');
          const oldPassword = await input.read('old password', { file: o.oldPasswordFile });
          const password = checked(await input.read('new password', { file: o.passwordFile, confirm: true }), me.user);
          const r = await callMaster<{ secret?: string }>(a, 'PUT', '/api/v1/me/password', { oldPassword, password });
          // The login's session ended with the change; the master gave this CLI a new one.
          const saved = readCredentials();
          if (r.secret && saved && a.headers.authorization === `Bearer ${saved.secret}`)
            writeCredentials({ ...saved, secret: r.secret }, credentialsFile());
          console.log(`password of ${me.user} changed; other sessions ended`);
          return;
        }
        const password = checked(
          await input.read(`new password for ${name}`, { file: o.passwordFile, confirm: true }),
          name,
        );
        if (o.store) {
          const refusal = await onStore(o.store, async (s) =>
            s.updateUser(name, { passwordHash: await hashPassword(password) }),
          );
          if (refusal) throw new Error(`no user ${name}`);
        } else await callMaster(masterAccess(o), 'PUT', `/api/v1/users/${encodeURIComponent(name)}`, { password });
        console.log(`password of ${name} changed; their sessions ended`);
      },
    ),
  );

  cmd.addCommand(
    clientOptions(new Command('role').description("change a user's role").argument('<name>').argument('<role>')).action(
      async (name: string, value: string, o: ClientOptions) => {
        const u = await callMaster<UserView>(masterAccess(o), 'PUT', `/api/v1/users/${encodeURIComponent(name)}`, {
          role: role(value),
        });
        console.log(`${u.name} is ${u.role}`);
      },
    ),
  );

  cmd.addCommand(
    clientOptions(
      new Command('remove').description('remove a user, their sessions and tokens').argument('<name>'),
    ).action(async (name: string, o: ClientOptions) => {
      await callMaster(masterAccess(o), 'DELETE', `/api/v1/users/${encodeURIComponent(name)}`);
      console.log(`removed ${name}`);
    }),
  );

  cmd.addCommand(
    clientOptions(new Command('list').description('list the users'))
      .option('--json', 'print the users as JSON')
      .action(async (o: ClientOptions & { json?: boolean }) => {
        const users = await callMaster<UserView[]>(masterAccess(o), 'GET', '/api/v1/users');
        if (o.json) return console.log(JSON.stringify(users, null, 2));
        console.log('USER              ROLE      CREATED               STATE');
        for (const u of users)
          console.log(
            `${u.name.padEnd(18)}${u.role.padEnd(10)}${new Date(u.createdAt).toISOString().slice(0, 19)}Z  ${u.disabled ? 'disabled' : 'enabled'}`,
          );
      }),
  );
  return cmd;
}
