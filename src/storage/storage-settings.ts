import { isAbsolute, normalize } from 'node:path';
import { Value } from '@sinclair/typebox/value';
import { refused } from '../lib/errors.ts';

// The schemas are part of the node<->master contract (an assignment carries them): declared in protocol/.
import {
  CameraStorage,
  StorageSettings,
  type CameraStorageInput,
  type StorageSettingsInput,
} from '../protocol/storage-settings.ts';
export { CameraStorage, StorageSettings, type CameraStorageInput, type StorageSettingsInput };

/** Validated server storage settings with defaults filled in. */
export interface StoragePolicy {
  /** Absolute, normalised, in the configured order (the failover order). */
  paths: string[];
  /** The path marked with *, if any. */
  readPath?: string;
  availability: 'failover' | 'redundant';
  minFreeBytes: number;
  minFreePercent: number;
  defaultMaxStorageDays: number;
  keepMetadataLonger: boolean;
  metadataStorageDays: number;
}

/** Validated overrides of one camera; absent fields fall back to the server's. */
export interface CameraStoragePolicy {
  paths?: string[];
  readPath?: string;
  /** Days per stream (index 0 = first stream); one entry means every stream. */
  maxStorageDays?: number[];
}

/** The result of parseStorageSettings. */
export interface ParsedStorage {
  settings: StoragePolicy;
  perCamera: Record<string, CameraStoragePolicy>;
}

/**
 * Validates the server settings and the per-camera overrides; returns them with defaults, or throws
 * one VigilError 'STORAGE_INVALID' whose message lists every problem with its path, so a user fixes
 * them all in one go. Pure: whether the paths exist and are writable is checkPathsWritable's job.
 */
export function parseStorageSettings(server: unknown, cameras: Record<string, unknown>): ParsedStorage {
  const problems = schemaProblems(StorageSettings, server, '');
  const s = isObject(server) ? server : {};
  const paths = typeof s.paths === 'string' ? parsePathList(s.paths, '/paths', problems) : undefined;
  const perCamera: Record<string, CameraStoragePolicy> = {};
  for (const [id, raw] of Object.entries(cameras)) {
    const at = `/cameras/${id}`;
    problems.push(...schemaProblems(CameraStorage, raw, at));
    const c = isObject(raw) ? raw : {};
    const out: CameraStoragePolicy = {};
    // Blank means "the server's paths", as in Symphony's camera table.
    if (typeof c.paths === 'string' && c.paths.trim() !== '') {
      const p = parsePathList(c.paths, `${at}/paths`, problems);
      if (p) Object.assign(out, p);
    }
    if (typeof c.maxStorageDays === 'number' && Number.isSafeInteger(c.maxStorageDays) && c.maxStorageDays >= 0)
      out.maxStorageDays = [c.maxStorageDays];
    if (typeof c.maxStorageDays === 'string') {
      const days = parseDaysList(c.maxStorageDays, `${at}/maxStorageDays`, problems);
      if (days) out.maxStorageDays = days;
    }
    perCamera[id] = out;
  }
  if (problems.length || !paths) {
    throw refused('STORAGE_INVALID', 'storage settings', problems);
  }
  const d = Value.Default(StorageSettings, structuredClone(server)) as Required<StorageSettingsInput>;
  return {
    settings: {
      ...paths,
      availability: d.availability,
      minFreeBytes: d.minFreeBytes,
      minFreePercent: d.minFreePercent,
      defaultMaxStorageDays: d.defaultMaxStorageDays,
      keepMetadataLonger: d.keepMetadataLonger,
      metadataStorageDays: d.metadataStorageDays,
    },
    perCamera,
  };
}

/** Where one camera records: its own paths if it has any, else the server's (availability is the server's). */
export function cameraStoragePolicy(parsed: ParsedStorage, cameraId: string): StoragePolicy {
  const own = parsed.perCamera[cameraId];
  if (!own?.paths) return parsed.settings;
  const { readPath: _, ...rest } = parsed.settings;
  return { ...rest, paths: own.paths, ...(own.readPath !== undefined && { readPath: own.readPath }) };
}

/** Every distinct storage path of the server and its cameras: what retention and the start check cover. */
export function allStoragePaths(parsed: ParsedStorage): string[] {
  const all = [...parsed.settings.paths];
  for (const c of Object.values(parsed.perCamera)) for (const p of c.paths ?? []) if (!all.includes(p)) all.push(p);
  return all;
}

/**
 * Max storage days of a camera's stream (0 = first stream); 0 means no limit. A camera's single value
 * covers all its streams; a list covers the streams it names, and streams past its end (and cameras
 * without an override) get defaultMaxStorageDays.
 */
export function maxStorageDays(parsed: ParsedStorage, cameraId: string, stream: number): number {
  const days = parsed.perCamera[cameraId]?.maxStorageDays;
  if (!days) return parsed.settings.defaultMaxStorageDays;
  if (days.length === 1) return days[0];
  return days[stream] ?? parsed.settings.defaultMaxStorageDays;
}

/** A semicolon-separated list → its paths and the starred one; undefined (reasons in `problems`) if an entry is bad. */
function parsePathList(
  text: string,
  at: string,
  problems: string[],
): { paths: string[]; readPath?: string } | undefined {
  const entries = text.split(';').map((e) => e.trim());
  if (entries.length === 1 && entries[0] === '') {
    problems.push(`${at}: no storage path given`);
    return undefined;
  }
  const before = problems.length;
  const paths: string[] = [];
  const starred: string[] = [];
  for (const [i, entry] of entries.entries()) {
    const star = entry.startsWith('*');
    const raw = star ? entry.slice(1).trim() : entry;
    if (raw === '') {
      problems.push(`${at}: entry ${i + 1} is empty`);
      continue;
    }
    // Relative paths would depend on the working directory the service happens to start in.
    if (!isAbsolute(raw)) {
      problems.push(`${at}: ${JSON.stringify(raw)} is not an absolute path`);
      continue;
    }
    if (raw.includes('\0')) {
      problems.push(`${at}: entry ${i + 1} contains a NUL character`);
      continue;
    }
    const p = normalize(raw).replace(/(.)\/+$/, '$1');
    if (paths.includes(p)) {
      problems.push(`${at}: ${JSON.stringify(p)} is listed twice`);
      continue;
    }
    paths.push(p);
    if (star) starred.push(p);
  }
  if (starred.length > 1) problems.push(`${at}: only one path can be marked * (read from), found ${starred.length}`);
  if (problems.length > before) return undefined;
  return { paths, ...(starred.length === 1 && { readPath: starred[0] }) };
}

function parseDaysList(text: string, at: string, problems: string[]): number[] | undefined {
  if (text.trim() === '') return undefined; // blank: the server's default applies
  const before = problems.length;
  const days = text.split(';').map((e, i) => {
    const t = e.trim();
    if (/^-\d+$/.test(t)) problems.push(`${at}: ${JSON.stringify(t)} (entry ${i + 1}): days cannot be negative`);
    else if (!/^\d+$/.test(t))
      problems.push(`${at}: ${JSON.stringify(t)} (entry ${i + 1}) is not a whole number of days`);
    return Number(t);
  });
  return problems.length > before ? undefined : days;
}

function schemaProblems(schema: typeof StorageSettings | typeof CameraStorage, value: unknown, at: string): string[] {
  const errors = [...Value.Errors(schema, value)];
  // A missing key also fails its type check; naming it once is enough.
  const missing = new Set(errors.filter((e) => e.message === 'Expected required property').map((e) => e.path));
  return errors
    .filter((e) => !missing.has(e.path) || e.message === 'Expected required property')
    .map((e) => {
      const path = `${at}${e.path}` || '/';
      if (e.path === '/availability') return `${path}: must be "failover" or "redundant"`;
      if (e.path === '/maxStorageDays') {
        return `${path}: ${typeof e.value === 'number' && e.value < 0 ? 'days cannot be negative' : 'must be a whole number of days or a "3;20" list'}`;
      }
      return `${path}: ${e.message}`;
    });
}

function isObject(v: unknown): v is Record<string, unknown> {
  return !!v && typeof v === 'object' && !Array.isArray(v);
}
