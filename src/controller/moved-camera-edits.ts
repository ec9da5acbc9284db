import type { CameraRow } from '../store/store.ts';
import type { FarmConfig } from '../config/farm-config.ts';

/** Settings of a camera that belong to its device and its storage: not edited while it runs elsewhere. */
const GUARDED = ['url', 'streams', 'audio', 'storage', 'movable', 'failoverMode'] as const;

/**
 * Edits of cameras that run away from their home server after a failover (XProtect refuses them
 * too): the settings would be applied by a server that is not the camera's, and a failback would
 * carry them home half-applied. One line per camera naming the settings; empty when none.
 * Moving a camera to another home server stays allowed.
 */
export function movedCameraEdits(current: CameraRow[], next: FarmConfig['cameras']): string[] {
  const out: string[] = [];
  for (const cam of next) {
    const old = current.find((c) => c.id === cam.id);
    if (!old || old.current === old.home || old.home !== cam.server) continue;
    const changed = GUARDED.filter((k) => JSON.stringify(norm(k, old[k])) !== JSON.stringify(norm(k, cam[k])));
    if (changed.length)
      out.push(
        `camera ${cam.id} runs on ${old.current} while its server ${old.home} is failed over: ${changed.join(', ')} cannot change until it is back home`,
      );
  }
  return out;
}

/** Defaults compare equal to their absence. */
function norm(key: (typeof GUARDED)[number], v: unknown): unknown {
  if (key === 'audio' || key === 'movable') return v ?? true;
  if (key === 'failoverMode') return v ?? 'full';
  if (key === 'streams') return (v as unknown[] | undefined)?.length ? v : undefined;
  return v;
}
