import { spawn } from 'node:child_process';
import { readdirSync, type Dirent } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

/** bin/vigil.js, the command a user runs. */
export const VIGIL_BIN = join(dirname(fileURLToPath(import.meta.url)), '../../bin/vigil.js');

/** What one `vigil` run did: its exit code and everything it printed. */
export interface VigilRun {
  code: number | null;
  stdout: string;
  stderr: string;
}

/**
 * Runs `node bin/vigil.js ...args` as its own process and waits for it to exit (killed after
 * timeoutMs). `env` is added to this process's environment; a key set to undefined is removed.
 * Its stdin is `input` (not a terminal), or empty.
 */
export function runVigil(
  args: string[],
  env: Record<string, string | undefined> = {},
  timeoutMs = 60_000,
  /** Written to its stdin (a password, as a user would pipe it); else stdin is closed. */
  input?: string,
): Promise<VigilRun> {
  const merged: Record<string, string | undefined> = { ...process.env, ...env };
  for (const [k, v] of Object.entries(merged)) if (v === undefined) delete merged[k];
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [VIGIL_BIN, ...args], {
      env: merged as NodeJS.ProcessEnv,
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    child.stdin.end(input ?? '');
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => {
      stdout += d;
    });
    child.stderr.setEncoding('utf8').on('data', (d: string) => {
      stderr += d;
    });
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.once('error', (err) => {
      clearTimeout(timer);
      reject(err);
    });
    child.once('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}

/** Segment files (*.ts) under a folder, relative to it; none when it does not exist. */
export function segmentFiles(root: string): string[] {
  const out: string[] = [];
  const walk = (dir: string) => {
    let entries: Dirent[];
    try {
      entries = readdirSync(dir, { withFileTypes: true });
    } catch {
      return; // not there (yet), or removed by retention or a copy-back's release meanwhile
    }
    for (const e of entries) {
      const p = join(dir, e.name);
      if (e.isDirectory()) walk(p);
      else if (e.name.endsWith('.ts')) out.push(relative(root, p));
    }
  };
  walk(root);
  return out.sort();
}
