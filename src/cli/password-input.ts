import { readFileSync } from 'node:fs';

/**
 * Where the CLI reads passwords from, never the command line (other local users see it in the
 * process list, the shell keeps it in its history): a prompt with echo off on a terminal, else the
 * lines of stdin, or a file given with --password-file (its first line).
 */
export class PasswordInput {
  private stdinLines: string[] | undefined;

  constructor(
    private readonly stdin: NodeJS.ReadStream = process.stdin,
    private readonly prompts: NodeJS.WritableStream = process.stderr,
  ) {}

  /** One password: from `file` if given, else prompted (twice, to confirm, when `confirm`), else the next stdin line. */
  async read(what: string, o: { file?: string; confirm?: boolean } = {}): Promise<string> {
    if (o.file) return firstLine(readFileSync(o.file, 'utf8'), o.file);
    if (!this.stdin.isTTY) return this.nextLine(what);
    const first = await this.prompt(`${what}: `);
    if (o.confirm && (await this.prompt(`${what} again: `)) !== first) throw new Error('the passwords differ');
    return first;
  }

  private async nextLine(what: string): Promise<string> {
    if (!this.stdinLines) {
      const chunks: Buffer[] = [];
      for await (const c of this.stdin) chunks.push(Buffer.from(c as Buffer));
      this.stdinLines = Buffer.concat(chunks).toString('utf8').split(/\r?\n/);
    }
    const line = this.stdinLines.shift();
    if (!line) throw new Error(`no ${what} on stdin (one line each)`);
    return line;
  }

  /** Asks on the terminal with echo off (raw mode: the characters typed are not shown). */
  private prompt(question: string): Promise<string> {
    const stdin = this.stdin;
    return new Promise((resolve, reject) => {
      this.prompts.write(question);
      let typed = '';
      const finish = (err?: Error) => {
        stdin.off('data', onData);
        stdin.setRawMode(false);
        stdin.pause();
        this.prompts.write('\n');
        if (err) reject(err);
        else resolve(typed);
      };
      const onData = (chunk: Buffer | string) => {
        for (const ch of String(chunk)) {
          if (ch === '\r' || ch === '\n') return finish();
          if (ch === '\u0003' || ch === '\u0004') return finish(new Error('cancelled'));
          if (ch === '\u007f' || ch === '\b') typed = [...typed].slice(0, -1).join('');
          else typed += ch;
        }
      };
      stdin.setRawMode(true);
      stdin.setEncoding('utf8');
      stdin.on('data', onData);
      stdin.resume();
    });
  }
}

function firstLine(text: string, file: string): string {
  const line = text.split(/\r?\n/)[0];
  if (!line) throw new Error(`${file}: no password on its first line`);
  return line;
}
