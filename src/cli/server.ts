import { Command } from 'commander';
import { adminHeaders, call, masterOptions } from './client.ts';
import type { MasterFlags } from './master-fetch.ts';

/** `vigil server enroll <id>`: a one-time join token for a configured server, and the command that uses it. */
export function serverCommand(): Command {
  const server = new Command('server').description('recording servers of the farm: enrollment');
  server.addCommand(
    masterOptions(
      new Command('enroll')
        .description(
          "a one-time join token (valid an hour) for a configured server's node to get its certificate; enrolling again replaces the old certificate",
        )
        .argument('<id>', 'server id, as in the farm configuration'),
    )
      .option('--key-file <file>', 'farm key file (else $VIGIL_FARM_KEY)')
      .action(async (id: string, o: MasterFlags & { keyFile?: string }) => {
        const r = (await call(o, `/api/v1/servers/${encodeURIComponent(id)}/enroll`, {
          method: 'POST',
          headers: await adminHeaders(o.keyFile),
        })) as { joinToken: string; expiresAt: number };
        console.log(`join token for ${id} (one use, until ${new Date(r.expiresAt).toISOString()}):
  ${r.joinToken}
on server ${id}, start its node once with it (it keeps its identity in <data>/identity/):
  vigil node --id ${id} --master ${o.master} --join ${r.joinToken}`);
      }),
  );
  return server;
}
