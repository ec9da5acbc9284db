import { readFile } from 'node:fs/promises';

/**
 * The user id owning the IPv4 TCP socket whose local port is `localPort` and remote port
 * `remotePort`, read from the text of /proc/net/tcp (`sl local rem st queues tr retrnsmt uid …`,
 * addresses `HEXIP:HEXPORT`); undefined when no line matches.
 */
export function socketUid(procNetTcp: string, localPort: number, remotePort: number): number | undefined {
  for (const line of procNetTcp.split('\n').slice(1)) {
    const f = line.trim().split(/\s+/);
    if (f.length < 8) continue;
    const local = Number.parseInt(f[1].split(':')[1] ?? '', 16);
    const remote = Number.parseInt(f[2].split(':')[1] ?? '', 16);
    if (local === localPort && remote === remotePort) return Number(f[7]);
  }
  return undefined;
}

/**
 * Who opened a loopback connection to us: the uid of the peer's socket (its local port is our
 * remote port), by /proc/self/net/tcp (this network namespace's sockets; readable with systemd's ProcSubset=pid too). Undefined when that cannot be told (no /proc, no such line).
 */
export async function peerUid(ourPort: number, peerPort: number): Promise<number | undefined> {
  try {
    return socketUid(await readFile('/proc/self/net/tcp', 'utf8'), peerPort, ourPort);
  } catch {
    return undefined;
  }
}
