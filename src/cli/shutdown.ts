import { loadFarmKey } from '../lib/farm-key.ts';
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

/**
 * The farm key: the contents of --key-file (refused when group- or world-readable) or else
 * $VIGIL_FARM_KEY, refused when weaker than 32 random bytes (see loadFarmKey).
 */
export async function farmKey(keyFile?: string): Promise<Buffer> {
  return loadFarmKey(keyFile);
}
