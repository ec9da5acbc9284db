import { Command } from 'commander';
import { clientOptions, type ClientOptions } from './client.ts';
import { masterAccess } from './credentials.ts';
import { callMaster } from './master-call.ts';

/** `vigil server enroll <id>`: a one-time join token for a configured server, and the command that uses it. */
export function serverCommand(): Command {
  const server = new Command('server').description('recording servers of the farm: enrollment');
  server.addCommand(
    clientOptions(
      new Command('enroll')
        .description(
          "a one-time join token (valid an hour) for a configured server's node to get its certificate; enrolling again replaces the old certificate; an admin's",
        )
        .argument('<id>', 'server id, as in the farm configuration'),
    ).action(async (id: string, o: ClientOptions) => {
      const a = masterAccess(o);
      const r = await callMaster<{ joinToken: string; expiresAt: number }>(
        a,
        'POST',
        `/api/v1/servers/${encodeURIComponent(id)}/enroll`,
      );
      console.log(`join token for ${id} (one use, until ${new Date(r.expiresAt).toISOString()}):
  ${r.joinToken}
on server ${id}, start its node once with it (it keeps its identity in <data>/identity/):
  vigil node --id ${id} --master ${a.master} --join ${r.joinToken}`);
    }),
  );
  return server;
}
