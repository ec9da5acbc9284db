import type { Db } from './db.ts';
import type { CameraRow, CameraRuntime, FarmSnapshot, ServerRow, ServerRuntime, ServerState } from './rows.ts';
import type { Settings } from '../config/farm-config.ts';
import { defaultSettings } from '../config/farm-config.ts';
import { openUrl } from './secret-url.ts';
import { groupFailoverDefaults, type GroupFailoverSettings } from '../config/failover-settings.ts';

/**
 * Reads the whole farm state: settings, groups, servers and cameras (one pass over each table),
 * generation and term; camera passwords come out opened (secret-url.ts).
 */
export async function readSnapshot(db: Db, secretKey?: Buffer): Promise<FarmSnapshot> {
  const [settings, groups, servers, cameras, meta] = await Promise.all([
    db.selectFrom('settings').selectAll().execute(),
    db.selectFrom('groups').selectAll().orderBy('id').execute(),
    db.selectFrom('servers').selectAll().orderBy('id').execute(),
    db.selectFrom('cameras').selectAll().orderBy('id').execute(),
    db.selectFrom('meta').selectAll().execute(),
  ]);
  const m = Object.fromEntries(meta.map((r) => [r.key, r.value]));
  const s: Record<string, number> = { ...defaultSettings() };
  for (const r of settings) s[r.key] = Number(r.value);
  return {
    settings: s as unknown as Settings,
    groups: groups.map((g) => ({
      id: Number(g.id),
      redundancy: !!g.redundancy,
      ...groupFailoverDefaults(JSON.parse(g.options) as Partial<GroupFailoverSettings>),
    })),
    servers: servers.map((r) => ({
      id: r.id,
      group: Number(r.group_id),
      host: r.host,
      udpPort: r.udp_port === null ? null : Number(r.udp_port),
      state: r.state as ServerState,
      downSince: r.down_since === null ? null : Number(r.down_since),
      ...(JSON.parse(r.options) as Pick<ServerRow, 'storage' | 'enabled' | 'maxCameras' | 'hotStandbyFor'>),
      runtime: JSON.parse(r.runtime) as ServerRuntime,
    })),
    cameras: cameras.map((c) => {
      const options = JSON.parse(c.options) as Pick<
        CameraRow,
        'audio' | 'streams' | 'storage' | 'priority' | 'failoverMode'
      >;
      return {
        id: c.id,
        url: openUrl(c.url, secretKey, `camera ${c.id}`),
        home: c.home_server,
        current: c.current_server,
        movable: !!c.movable,
        ...options,
        ...(options.streams && {
          streams: options.streams.map((st, i) => ({
            ...st,
            url: openUrl(st.url, secretKey, `camera ${c.id} stream ${i + 1}`),
          })),
        }),
        runtime: JSON.parse(c.runtime) as CameraRuntime,
      };
    }),
    generation: Number(m.generation ?? 1),
    term: Number(m.term ?? 1),
  };
}
