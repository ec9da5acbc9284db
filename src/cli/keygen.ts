import { Command } from 'commander';
import { writeFileSync } from 'node:fs';
import { newFarmKey } from '../lib/farm-key.ts';
import { PRIVATE_FILE_MODE } from '../lib/private-dir.ts';

/** `vigil keygen [--out FILE]`: a new farm key (32 random bytes, hex), printed or written to a new 0600 file. */
export function keygenCommand(): Command {
  return new Command('keygen')
    .description('make a new farm key (32 random bytes, hex): printed, or written to a new file only you can read')
    .option('--out <file>', 'write the key to this file (mode 0600; an existing file is never overwritten)')
    .action((o: { out?: string }) => {
      const key = newFarmKey();
      if (!o.out) {
        console.log(key);
        return;
      }
      try {
        // 'wx': an existing file (or a link planted there) makes this fail instead of being overwritten.
        writeFileSync(o.out, `${key}\n`, { mode: PRIVATE_FILE_MODE, flag: 'wx' });
      } catch (err) {
        const code = (err as NodeJS.ErrnoException).code;
        throw new Error(
          code === 'EEXIST'
            ? `${o.out} exists: refused to overwrite a key (remove it first if you mean to replace the farm key)`
            : `cannot write ${o.out}: ${code ?? String(err)}`,
        );
      }
      console.error(`farm key written to ${o.out} (mode 600): pass it with --key-file ${o.out}`);
    });
}
