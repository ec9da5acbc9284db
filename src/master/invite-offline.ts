import { Enrollment, type JoinInvite } from '../auth/enrollment.ts';
import { FarmCa, masterHosts } from '../auth/farm-ca.ts';
import { Store } from '../store/store.ts';

/**
 * Join tokens made without the master's API, on the master's machine with its store and pki
 * folder (the CA is created if this comes first): servers can be enrolled before the master first
 * starts. A server must be in the stored configuration, when there is one yet.
 */
export async function inviteOffline(o: { store: string; pkiDir: string; servers: string[] }): Promise<JoinInvite[]> {
  const store = await Store.open(o.store);
  try {
    const ca = await FarmCa.open(o.pkiDir, masterHosts('127.0.0.1'));
    const known = new Set((await store.snapshot()).servers.map((s) => s.id));
    const enrollment = new Enrollment({ store, ca, configured: (id) => known.size === 0 || known.has(id) });
    const out: JoinInvite[] = [];
    for (const id of o.servers) out.push(await enrollment.invite(id));
    return out;
  } finally {
    await store.close();
  }
}
