import { spawn, execFileSync, type ChildProcess } from 'node:child_process';
import { setTimeout as delay } from 'node:timers/promises';
import type { Logger } from './log.ts';
import { redactCredentials } from './redact.ts';

export interface SuperviseOptions {
  name: string;
  command: string;
  /** Evaluated at every start, so each run can get fresh arguments (a new staging run id, say). */
  args: () => string[];
  log: Logger;
  backoff?: { initialMs: number; maxMs: number };
  /** A run that lasted this long resets the backoff. */
  stableMs?: number;
  /** Wait for each step of the stop sequence: `q` on stdin, then SIGTERM, then SIGKILL. */
  stopTimeoutMs?: number;
  onStart?: (child: ChildProcess) => void;
  onExit?: (code: number | null, signal: NodeJS.Signals | null) => void;
}

const STDERR_LINES = 40;

let pdeathsig: boolean | undefined;
/** setpriv --pdeathsig makes the child die with us, even when we are killed with SIGKILL. */
function hasPdeathsig(): boolean {
  if (pdeathsig === undefined) {
    try {
      execFileSync('setpriv', ['--pdeathsig', 'KILL', '--', 'true'], { stdio: 'ignore', timeout: 5000 });
      pdeathsig = true;
    } catch {
      pdeathsig = false;
    }
  }
  return pdeathsig;
}

/**
 * Keeps one child process running: restarts it with capped exponential backoff, keeps its stderr
 * in a scrubbed ring buffer printed only on failure, and stops it politely then firmly.
 */
export class Supervisor {
  private child: ChildProcess | undefined;
  private run = 0;
  private closed = false;
  private failures = 0;
  private timer: NodeJS.Timeout | undefined;
  private startedAt = 0;
  private readonly tail: string[] = [];

  constructor(private readonly opts: SuperviseOptions) {}

  get pid(): number | undefined {
    return this.child?.pid;
  }

  get running(): boolean {
    return this.child !== undefined;
  }

  stderrTail(): string[] {
    return [...this.tail];
  }

  start(): void {
    if (this.closed || this.child) return;
    const run = ++this.run;
    const args = this.opts.args();
    const [cmd, argv] = hasPdeathsig()
      ? ['setpriv', ['--pdeathsig', 'KILL', '--', this.opts.command, ...args]]
      : [this.opts.command, args];
    const child = spawn(cmd, argv, { stdio: ['pipe', 'pipe', 'pipe'] });
    this.child = child;
    this.startedAt = Date.now();
    this.tail.length = 0;
    child.stdin?.on('error', () => {}); // the child may close stdin before we write `q`
    let partial = '';
    child.stderr?.setEncoding('utf8').on('data', (chunk: string) => {
      const lines = (partial + chunk).split('\n');
      partial = lines.pop() ?? '';
      for (const l of lines) {
        this.tail.push(redactCredentials(l));
        if (this.tail.length > STDERR_LINES) this.tail.shift();
      }
    });
    child.on('error', (err) => this.opts.log.error({ err, child: this.opts.name }, 'spawn failed'));
    child.on('exit', (code, signal) => {
      if (run !== this.run) return; // a superseded run
      this.child = undefined;
      this.opts.onExit?.(code, signal);
      if (this.closed) return;
      const ranMs = Date.now() - this.startedAt;
      this.failures = ranMs >= (this.opts.stableMs ?? 10_000) ? 1 : this.failures + 1;
      const { initialMs, maxMs } = this.opts.backoff ?? { initialMs: 500, maxMs: 10_000 };
      const waitMs = Math.min(maxMs, initialMs * 2 ** (this.failures - 1));
      this.opts.log.warn(
        { child: this.opts.name, code, signal, ranMs, retryInMs: waitMs, stderr: this.tail.slice(-8) },
        'child exited; restarting',
      );
      this.timer = setTimeout(() => this.start(), waitMs);
    });
    this.opts.onStart?.(child);
  }

  /** Ends the current run now (the reason is logged); the restart follows the usual backoff. */
  restart(reason: string): void {
    this.opts.log.warn({ child: this.opts.name, reason }, 'restarting child');
    this.child?.kill('SIGKILL');
  }

  async close(): Promise<void> {
    this.closed = true;
    clearTimeout(this.timer);
    const child = this.child;
    if (!child) return;
    const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
    const wait = (ms: number) => Promise.race([exited.then(() => true), delay(ms).then(() => false)]);
    const step = this.opts.stopTimeoutMs ?? 2000;
    child.stdin?.write('q');
    if (await wait(step)) return;
    child.kill('SIGTERM');
    if (await wait(step)) return;
    child.kill('SIGKILL');
    await exited;
  }
}
