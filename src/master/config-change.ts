import type { FarmConfig } from '../config/farm-config.ts';
import type { FarmSnapshot } from '../store/store.ts';

/**
 * The configuration the farm runs, as a FarmConfig (what GET /api/v1/config shows, before
 * redaction): the snapshot less what the master decided while running (state, placement, runtime).
 * Pure.
 */
export function configOfSnapshot(f: Pick<FarmSnapshot, 'settings' | 'groups' | 'servers' | 'cameras'>): FarmConfig {
  return {
    settings: f.settings,
    groups: f.groups,
    servers: f.servers.map((s) => ({
      id: s.id,
      group: s.group,
      host: s.host,
      ...(s.udpPort ? { udpPort: s.udpPort } : {}),
      ...(s.storage && { storage: s.storage }),
      ...(s.enabled !== undefined && { enabled: s.enabled }),
      ...(s.maxCameras !== undefined && { maxCameras: s.maxCameras }),
      ...(s.hotStandbyFor !== undefined && { hotStandbyFor: s.hotStandbyFor }),
    })),
    cameras: f.cameras.map((c) => ({
      id: c.id,
      url: c.url,
      server: c.home,
      movable: c.movable,
      ...(c.audio !== undefined && { audio: c.audio }),
      ...(c.streams?.length && { streams: c.streams }),
      ...(c.storage && { storage: c.storage }),
      ...(c.priority && { priority: c.priority }),
      ...(c.failoverMode && { failoverMode: c.failoverMode }),
    })),
  };
}

/**
 * What a new configuration changes, for the audit log and the master's log: per kind, how many
 * were added, removed and changed, and the names of the settings changed, e.g.
 * "groups +0 −0 ~0, servers +1 −0 ~2, cameras +3 −1 ~0, settings ~1 (StatusIntervalMs)".
 * Counts and setting names only: no URL, so no credential. Pure.
 */
export function configChangeSummary(before: FarmConfig, after: FarmConfig): string {
  const settings = [...new Set([...Object.keys(before.settings), ...Object.keys(after.settings)])]
    .filter(
      (k) =>
        (before.settings as unknown as Record<string, unknown>)[k] !==
        (after.settings as unknown as Record<string, unknown>)[k],
    )
    .sort();
  return [
    `groups ${counts(before.groups, after.groups, (g) => String(g.id))}`,
    `servers ${counts(before.servers, after.servers, (s) => s.id)}`,
    `cameras ${counts(before.cameras, after.cameras, (c) => c.id)}`,
    `settings ~${settings.length}${settings.length ? ` (${settings.join(', ')})` : ''}`,
  ].join(', ');
}

/** "+added −removed ~changed" between two lists of items named by `id`. */
function counts<T>(before: T[], after: T[], id: (x: T) => string): string {
  const old = new Map(before.map((x) => [id(x), canonical(x)]));
  const now = new Map(after.map((x) => [id(x), canonical(x)]));
  let added = 0;
  let changed = 0;
  for (const [k, v] of now) {
    if (!old.has(k)) added++;
    else if (old.get(k) !== v) changed++;
  }
  const removed = [...old.keys()].filter((k) => !now.has(k)).length;
  return `+${added} −${removed} ~${changed}`;
}

/** JSON with keys sorted and undefined left out: two equal items give the same text however they were built. */
function canonical(v: unknown): string {
  return JSON.stringify(v, (_k, x: unknown) =>
    x && typeof x === 'object' && !Array.isArray(x)
      ? Object.fromEntries(
          Object.entries(x as Record<string, unknown>)
            .filter(([, y]) => y !== undefined)
            .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)),
        )
      : x,
  );
}
