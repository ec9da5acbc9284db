import { parseFarmConfig } from '../config/farm-config.ts';
import type { Controller } from '../controller/controller.ts';
import { VigilError, refused } from '../lib/errors.ts';
import { checkStorageOnServers, storageChecks } from '../api/storage-check.ts';
import type { StorageCheck } from '../protocol/node-api.ts';
import { configChangeSummary, configOfSnapshot } from './config-change.ts';

/** What applying a configuration uses of the master. */
export interface ApplyConfigPorts {
  controller: Pick<Controller, 'applyConfig' | 'state'>;
  /** Asks a running server whether storage paths exist and take writes there (ServerNodes.checkStorage). */
  checkStorage: (server: string, body: StorageCheck) => Promise<string[]>;
}

/** A configuration applied: what is worth telling the operator. */
export interface AppliedConfig {
  warnings: string[];
  /** What changed, counted (configChangeSummary): for the audit log and the master's log. */
  summary: string;
}

/**
 * The one way a farm configuration is applied, by PUT /api/v1/config and by `vigil master
 * --config` at start alike: validated whole (parseFarmConfig), its storage paths checked on the
 * servers that run (also when the rest is refused, so that one answer names every problem), then
 * handed to the controller, which refuses edits of cameras running away from home (CAMERA_MOVED).
 * Refused whole with every problem listed (CONFIG_INVALID); nothing is applied then.
 */
export async function applyFarmConfig(input: unknown, p: ApplyConfigPorts): Promise<AppliedConfig> {
  let parsed: ReturnType<typeof parseFarmConfig> | undefined;
  let problems: string[] = [];
  try {
    parsed = parseFarmConfig(input);
  } catch (err) {
    if (!(err instanceof VigilError && err.code === 'CONFIG_INVALID')) throw err;
    problems = err.details as string[];
  }
  // Whether storage paths exist and take writes only their servers can tell: ask the ones that run.
  const checked = await checkStorageOnServers(storageChecks(input), p.checkStorage);
  problems = [...problems, ...checked.problems];
  if (problems.length || !parsed) throw refused('CONFIG_INVALID', 'configuration', problems);
  // Configurations change only here, so the farm read now is the one this replaces.
  const summary = configChangeSummary(configOfSnapshot(p.controller.state()), parsed.config);
  await p.controller.applyConfig(parsed.config);
  return { warnings: [...parsed.warnings, ...checked.warnings], summary };
}
