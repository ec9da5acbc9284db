import { readFileSync } from 'node:fs';
import type { Logger } from '../lib/log.ts';

/**
 * Closes a component on SIGINT/SIGTERM and exits. A second signal while closing is ignored (Ctrl-C
 * reaches a whole process group and the parent may follow with SIGTERM); a third exits at once.
 */
export function closeOnSignal(log: Logger, close: () => Promise<void>): void {
  let signals = 0;
  const onSignal = (signal: string) => {
    if (++signals === 3) process.exit(1);
    if (signals > 1) return;
    log.info({ signal }, 'stopping');
    close().then(
      () => process.exit(0),
      (err) => {
        log.error({ err }, 'stop failed');
        process.exit(1);
      },
    );
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
}

/** The farm key shared by master and nodes: $VIGIL_FARM_KEY or the contents of --key-file. */
export async function farmKey(keyFile?: string): Promise<Buffer> {
  if (keyFile) return Buffer.from(readFileSync(keyFile, 'utf8').trim());
  const k = process.env.VIGIL_FARM_KEY;
  if (!k) throw new Error('no farm key: set VIGIL_FARM_KEY or pass --key-file');
  return Buffer.from(k);
}
