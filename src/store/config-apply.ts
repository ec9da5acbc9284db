import { inTx } from './in-tx.ts';
import type { Db, Dialect } from './db.ts';
import type { ServerRuntime } from './rows.ts';
import type { FarmConfig } from '../config/farm-config.ts';
import { columnsOf, inChunks } from './batch.ts';
import { bumpGeneration } from './generation.ts';
import { sealUrl } from './secret-url.ts';

/**
 * Replaces the configuration in one transaction: nothing is half-applied, however many statements
 * the rows take (they are written in chunks under the engine's parameter limit). A camera that
 * already runs somewhere else after a failover stays there unless its home server changed or its
 * current server is gone; server state and runtime survive. Camera passwords are sealed (secret-url.ts).
 */
export async function applyConfig(db: Db, dialect: Dialect, c: FarmConfig, secretKey?: Buffer): Promise<void> {
  await inTx(db, async (tx) => {
    const existing = new Map((await tx.selectFrom('cameras').selectAll().execute()).map((r) => [r.id, r]));
    const serverIds = new Set(c.servers.map((s) => s.id));
    const oldServers = new Map((await tx.selectFrom('servers').selectAll().execute()).map((r) => [r.id, r]));
    await tx.deleteFrom('settings').execute();
    await tx.deleteFrom('groups').execute();
    await tx.deleteFrom('servers').execute();
    await tx.deleteFrom('cameras').execute();
    const settings = Object.entries(c.settings).map(([key, v]) => ({ key, value: String(v) }));
    await inChunks(settings, columnsOf(settings), dialect, (rows) => tx.insertInto('settings').values(rows).execute());
    const groups = c.groups.map(({ id, redundancy, ...failover }) => ({
      id,
      redundancy: redundancy ? 1 : 0,
      options: JSON.stringify(failover),
    }));
    await inChunks(groups, columnsOf(groups), dialect, (rows) => tx.insertInto('groups').values(rows).execute());
    const servers = c.servers.map((s) => ({
      id: s.id,
      group_id: s.group,
      host: s.host,
      udp_port: s.udpPort ?? null,
      state: oldServers.get(s.id)?.state ?? 'up',
      down_since: oldServers.get(s.id)?.down_since ?? null,
      options: JSON.stringify({
        storage: s.storage,
        enabled: s.enabled,
        maxCameras: s.maxCameras,
        hotStandbyFor: s.hotStandbyFor,
      }),
      runtime: keptServerRuntime(oldServers.get(s.id)?.runtime, serverIds),
    }));
    await inChunks(servers, columnsOf(servers), dialect, (rows) => tx.insertInto('servers').values(rows).execute());
    const cameras = c.cameras.map((cam) => {
      const old = existing.get(cam.id);
      const keep = old && old.home_server === cam.server && serverIds.has(old.current_server);
      const options = {
        audio: cam.audio,
        streams: cam.streams?.map((st) => ({ ...st, url: sealUrl(st.url, secretKey) })),
        storage: cam.storage,
        priority: cam.priority,
        failoverMode: cam.failoverMode,
      };
      return {
        id: cam.id,
        url: sealUrl(cam.url, secretKey),
        home_server: cam.server,
        current_server: keep ? old.current_server : cam.server,
        movable: cam.movable ? 1 : 0,
        options: JSON.stringify(options),
        runtime: keep ? old.runtime : '{}',
      };
    });
    await inChunks(cameras, columnsOf(cameras), dialect, (rows) => tx.insertInto('cameras').values(rows).execute());
    await bumpGeneration(tx);
  });
}

/** A server's runtime survives a config change, except a swap with a server that is gone. */
function keptServerRuntime(old: string | undefined, servers: Set<string>): string {
  const r = JSON.parse(old ?? '{}') as ServerRuntime;
  if (r.swappedWith !== undefined && !servers.has(r.swappedWith)) delete r.swappedWith;
  return JSON.stringify(r);
}
