import { createSecureContext } from 'node:tls';
import type { ServerOptions } from 'node:https';
import type { FarmCa, KeyAndCert } from '../auth/farm-ca.ts';
import { MASTER_SNI } from '../auth/peer-identity.ts';

/**
 * The master API's TLS: its certificate (the admin's own when given, else the farm CA's master
 * certificate), and client certificates asked for but not required (people log in without one;
 * a server is known by its farm certificate). With an admin's certificate, a Vigil process still
 * gets the farm certificate by sending SNI `vigil-master`: nodes trust the farm CA only.
 */
export function masterTlsOptions(ca: FarmCa, own?: KeyAndCert): ServerOptions {
  const farm = { ...ca.master, ca: ca.caPem };
  const base: ServerOptions = { ...(own ?? ca.master), ca: ca.caPem, requestCert: true, rejectUnauthorized: false };
  if (!own) return base;
  const farmContext = createSecureContext(farm);
  return { ...base, SNICallback: (name, cb) => cb(null, name === MASTER_SNI ? farmContext : undefined) };
}
