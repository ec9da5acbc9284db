import { chmodSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { refusedMessage } from '../lib/errors.ts';
import type { Logger } from '../lib/log.ts';
import { assignmentProblems, type Assignment } from '../protocol/assignment.ts';

const FILE = 'assignment.json';

/**
 * A recording server's last assignment on disk (<dataDir>/assignment.json), so that it records
 * when no master answers after a restart. What is read back is checked like what a master sends: a
 * file that is not a valid assignment is refused, with a logged error, and nothing is recorded
 * from it.
 */
export class AssignmentCache {
  private readonly file: string;

  constructor(
    dataDir: string,
    private readonly log: Logger,
  ) {
    this.file = join(dataDir, FILE);
  }

  /** The saved assignment, or undefined when there is none or it is not a valid one. */
  load(): Assignment | undefined {
    let text: string;
    try {
      text = readFileSync(this.file, 'utf8');
    } catch {
      return undefined; // none yet
    }
    let value: unknown;
    try {
      value = JSON.parse(text);
    } catch (err) {
      this.log.error({ file: this.file, err: (err as Error).message }, 'cached assignment is not JSON: refused');
      return undefined;
    }
    const problems = assignmentProblems(value);
    if (problems.length) {
      this.log.error(
        { file: this.file, problems },
        `${refusedMessage('cached assignment', problems)}\nrecording nothing until a master answers`,
      );
      return undefined;
    }
    return value as Assignment;
  }

  /**
   * Saves an assignment whole (temp file, then rename); readable by this user only, as it holds
   * camera credentials and the server's Alive keys. The mode is set on the temp file itself: one
   * left behind by a crash keeps whatever mode it had when written again.
   */
  save(a: Assignment): void {
    const tmp = `${this.file}.tmp`;
    writeFileSync(tmp, JSON.stringify(a), { mode: 0o600 });
    chmodSync(tmp, 0o600);
    renameSync(tmp, this.file);
  }
}
