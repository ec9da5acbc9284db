import { Command } from 'commander';
import { simCommand } from './sim.ts';
import { masterCommand } from './master.ts';
import { nodeCommand } from './node.ts';
import { demoCommand } from './demo.ts';
import { keygenCommand } from './keygen.ts';
import { serverCommand } from './server.ts';
import {
  statusCommand,
  applyCommand,
  failoverCommand,
  drainCommand,
  resumeCommand,
  failbackCommand,
  moveCommand,
  auditCommand,
  failoversCommand,
} from './client.ts';
import { userCommand } from './user.ts';
import { tokenCommand } from './token.ts';
import { loginCommand, logoutCommand } from './login.ts';
import { verifyExportCommand } from './verify-export.ts';
import { verifyCommand } from './verify.ts';
import { VIGIL_VERSION } from '../lib/version.ts';

const program = new Command('vigil')
  .description('Vigil: video recording farm with automatic failover')
  .version(VIGIL_VERSION, '-V, --version', 'print the version');
program.addCommand(simCommand());
program.addCommand(masterCommand());
program.addCommand(nodeCommand());
program.addCommand(demoCommand());
program.addCommand(keygenCommand());
program.addCommand(statusCommand());
program.addCommand(applyCommand());
program.addCommand(failoverCommand());
program.addCommand(serverCommand());
for (const c of [
  drainCommand,
  resumeCommand,
  failbackCommand,
  moveCommand,
  auditCommand,
  failoversCommand,
  verifyCommand,
])
  program.addCommand(c());
for (const c of [loginCommand, logoutCommand, userCommand, tokenCommand]) program.addCommand(c());
program.addCommand(verifyExportCommand());
try {
  await program.parseAsync(process.argv);
} catch (err) {
  // A refused configuration or a missing key is the user's to fix: say what, without a stack trace.
  console.error(`vigil: ${err instanceof Error ? err.message : String(err)}`);
  process.exit(1);
}
