import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import { rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Logger } from '../lib/log.ts';

/** The file, in the master's data dir, that holds the one-time setup token until the first admin is made. */
export const SETUP_TOKEN_FILE = 'setup-token';

const digest = (s: string) => createHash('sha256').update(s).digest();

/**
 * The one-time setup token of a farm without users (no default password): made at start, logged
 * once and written to `<data dir>/setup-token` (0600); POST /api/v1/setup with it creates the
 * first admin, and it is gone. Once any user exists there is none (a stale file is removed).
 */
export class SetupToken {
  private constructor(
    private token: string | undefined,
    private readonly file: string | undefined,
  ) {}

  /** Makes a new token when the store has no user (`users` = how many there are); else removes a stale file. */
  static prepare(o: { dataDir?: string; users: number; log: Logger }): SetupToken {
    const file = o.dataDir ? join(o.dataDir, SETUP_TOKEN_FILE) : undefined;
    if (o.users > 0) {
      if (file) rmSync(file, { force: true });
      return new SetupToken(undefined, file);
    }
    const token = `vsu_${randomBytes(32).toString('base64url')}`;
    if (file) {
      // A new file each start (a token of an earlier start, seen in an old log, opens nothing now),
      // created 0600 as it is written: no moment where another local user could read it.
      rmSync(file, { force: true });
      writeFileSync(file, `${token}\n`, { mode: 0o600, flag: 'wx' });
    }
    o.log.warn(
      { file },
      `setup token: ${token}, POST /api/v1/setup or vigil user add --setup-token (creates the first admin)`,
    );
    return new SetupToken(token, file);
  }

  /** Whether a token is still waiting to be used. */
  get pending(): boolean {
    return this.token !== undefined;
  }

  /** Whether `given` is the token (constant time); false once it is used. */
  matches(given: string): boolean {
    return this.token !== undefined && timingSafeEqual(digest(given), digest(this.token));
  }

  /** Uses the token up if `given` is it (its file goes too); false when it is not, or was used already. */
  consume(given: string): boolean {
    if (!this.matches(given)) return false;
    this.token = undefined;
    if (this.file) rmSync(this.file, { force: true });
    return true;
  }
}
