/** An operator's action on a server. */
export type ServerAction = 'failover' | 'drain' | 'resume' | 'failback';

/** What the confirmation of an action says will move, naming the cameras. Pure. */
export function confirmText(
  action: ServerAction,
  server: { id: string; group: number; cameras: string[] },
  homeCameras: string[],
): string {
  const list = (ids: string[]) => (ids.length ? ids.join(', ') : 'no cameras');
  switch (action) {
    case 'failover':
      return `Fail over ${server.id} now: ${list(server.cameras)} move to another server of group ${server.group}, as its policy chooses. ${server.id} is treated as down until it reports again.`;
    case 'drain':
      return `Drain ${server.id}: ${list(server.cameras)} move to other servers of group ${server.group}, make-before-break (no hole); ${server.id} then holds nothing and is in maintenance.`;
    case 'resume':
      return `Resume ${server.id}: it leaves maintenance and takes back its own cameras (${list(homeCameras)}), make-before-break.`;
    case 'failback':
      return `Fail back to ${server.id}: its cameras (${list(homeCameras)}) return to it, make-before-break; footage recorded elsewhere meanwhile is copied back to it.`;
  }
}

/** The confirmation of moving one camera. Pure. */
export function moveText(camera: string, from: string, to: string): string {
  return `Move ${camera} from ${from} to ${to}, make-before-break: ${from} records until ${to} delivers its first segment.`;
}

/** Which actions a server offers now: failover while it is up, drain unless in maintenance, resume in maintenance, failback when cameras of its own are elsewhere. Pure. */
export function actionsFor(
  server: { state: string; maintenance: boolean; id: string },
  cameras: readonly { homeServer: string; currentServer: string }[],
): ServerAction[] {
  const away = cameras.some((c) => c.homeServer === server.id && c.currentServer !== server.id);
  const out: ServerAction[] = [];
  if (server.state !== 'down' && !server.maintenance) out.push('failover', 'drain');
  if (server.maintenance) out.push('resume');
  if (away && server.state !== 'down' && !server.maintenance) out.push('failback');
  return out;
}
