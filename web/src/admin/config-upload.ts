import { parse, stringify } from 'yaml';

/** What applying a configuration file came to: applied (with the warnings and the summary) or refused (every problem). */
export type UploadResult =
  | { applied: true; warnings: string[]; summary?: string }
  | { applied: false; problems: string[] };

/**
 * Reads a configuration file's text as `vigil apply` does (YAML, JSON being YAML too): a syntax
 * error is the one problem, named with its line and column. Pure.
 */
export function readConfigText(text: string): { config: unknown } | { problems: string[] } {
  try {
    const config = parse(text);
    if (config === null || typeof config !== 'object')
      return { problems: ['the file holds no configuration (a YAML mapping)'] };
    return { config };
  } catch (err) {
    const e = err as { message: string; linePos?: { line: number; col: number }[] };
    const at = e.linePos?.[0] ? ` (line ${e.linePos[0].line}, column ${e.linePos[0].col})` : '';
    return { problems: [`YAML${at}: ${e.message.split('\n')[0]}`] };
  }
}

/** The master's refusal as the list of its problems (its error's details), else its message. Pure. */
export function problemsOf(body: unknown, status: number): string[] {
  const e = (body as { error?: { message?: string; details?: unknown[] } } | undefined)?.error;
  if (e?.details?.length) return e.details.map(String);
  return [e?.message ?? `HTTP ${status}`];
}

/** The configuration as YAML, for the download. */
export function toYaml(config: unknown): string {
  return stringify(config);
}
