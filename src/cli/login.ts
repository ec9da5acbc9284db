import { Command } from 'commander';
import { resolve } from 'node:path';
import type { Role } from '../auth/principal.ts';
import { credentialsFile, masterAccess, readCredentials, removeCredentials, writeCredentials } from './credentials.ts';
import { callMaster } from './master-call.ts';
import { PasswordInput } from './password-input.ts';

/** `vigil login`: a session on a master, kept (0600) in the user's config folder for the other verbs. */
export function loginCommand(): Command {
  return new Command('login')
    .description('log in to a master; the other verbs then use this login')
    .requiredOption('--master <url>', "master URL, or a farm's masters comma-separated (the first that answers)")
    .requiredOption('--user <name>', 'user name')
    .option('--ca <file>', "the farm CA certificate to check the master's TLS against")
    .option('--password-file <file>', 'read the password from the first line of this file (else a prompt, or stdin)')
    .action(async (o: { master: string; user: string; ca?: string; passwordFile?: string }) => {
      const password = await new PasswordInput().read(`password for ${o.user}`, { file: o.passwordFile });
      const master = o.master.replace(/\/+$/, '');
      const ca = o.ca && resolve(o.ca);
      const access = { master, headers: {}, ...(ca && { ca }) };
      const s = await callMaster<{ user: string; role: Role; expiresAt: number; secret: string }>(
        access,
        'POST',
        '/api/v1/login',
        { user: o.user, password, token: true },
      );
      const file = credentialsFile();
      writeCredentials({ master, secret: s.secret, ...(ca && { ca }) }, file);
      console.log(
        `logged in to ${master} as ${s.user} (${s.role}) until ${new Date(s.expiresAt).toISOString()}; kept in ${file}`,
      );
    });
}

/** `vigil logout`: ends the saved login's session on its master and forgets it. */
export function logoutCommand(): Command {
  return new Command('logout').description('end the saved login').action(async () => {
    const saved = readCredentials();
    if (!saved) {
      console.log('not logged in');
      return;
    }
    await callMaster(masterAccess({}), 'POST', '/api/v1/logout', {});
    removeCredentials();
    console.log(`logged out of ${saved.master}`);
  });
}
