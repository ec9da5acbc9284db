import type { PeerCertificate } from 'node:tls';
import { TLSSocket } from 'node:tls';
import type { Socket } from 'node:net';
import { fingerprintText } from './x509.ts';
import type { ClientTls } from '../lib/http/tls.ts';

/** The URI name of the master's certificate. */
export const MASTER_URI = 'urn:vigil:master';
const SERVER_PREFIX = 'urn:vigil:server:';

/** The URI name of server `id`'s certificate. */
export function serverUri(id: string): string {
  return `${SERVER_PREFIX}${id}`;
}

/** Who a farm certificate names: the master, or one recording server. */
export type PeerIdentity = { kind: 'master' } | { kind: 'server'; server: string };

/**
 * The identity a certificate's subject alternative names give (node's `subjectaltname` text,
 * "URI:urn:vigil:server:s1, DNS:…"); undefined when it names none, or both kinds. Pure.
 */
export function identityOf(subjectAltName: string | undefined): PeerIdentity | undefined {
  const uris = (subjectAltName ?? '')
    .split(', ')
    .filter((e) => e.startsWith('URI:'))
    .map((e) => {
      const v = e.slice(4);
      // Node quotes a name holding separators, as JSON: such a name is never one Vigil issued.
      return v.startsWith('"') ? '' : v;
    });
  const found: PeerIdentity[] = [];
  for (const u of uris) {
    if (u === MASTER_URI) found.push({ kind: 'master' });
    else if (u.startsWith(SERVER_PREFIX) && u.length > SERVER_PREFIX.length)
      found.push({ kind: 'server', server: u.slice(SERVER_PREFIX.length) });
  }
  return found.length === 1 ? found[0] : undefined;
}

/** The peer of a TLS connection whose certificate verified against the trusted CA, with its fingerprint. */
export interface VerifiedPeer {
  identity: PeerIdentity;
  /** SHA-256 of the certificate, lowercase hex. */
  fingerprint: string;
}

/**
 * The verified peer of a connection: only a TLS socket whose client certificate chained to the CA
 * it trusts (`authorized`) and names a farm identity; else undefined (plain HTTP, no or another
 * certificate).
 */
export function verifiedPeer(socket: Socket | undefined): VerifiedPeer | undefined {
  if (!(socket instanceof TLSSocket) || !socket.authorized) return undefined;
  const cert = socket.getPeerCertificate();
  if (!cert?.raw) return undefined;
  const identity = identityOf(cert.subjectaltname);
  return identity && { identity, fingerprint: fingerprintText(cert.fingerprint256) };
}

/**
 * A TLS client's `checkServerIdentity` that wants a farm certificate of `kind` (host names do not
 * matter: the chain to the farm CA and the URI name do), e.g. a node must reach the master, the
 * master a server.
 */
export function expectPeer(kind: PeerIdentity['kind']): (host: string, cert: PeerCertificate) => Error | undefined {
  return (_host, cert) => {
    const id = identityOf(cert.subjectaltname);
    if (id?.kind === kind) return undefined;
    return new Error(
      `the peer's certificate is not a Vigil ${kind === 'master' ? 'master' : 'server'}'s (${cert.subjectaltname ?? 'no names'})`,
    );
  };
}

/** The SNI name a Vigil process sends to the master: its farm certificate answers it, whatever the API's own. */
export const MASTER_SNI = 'vigil-master';

/** A farm process's key, certificate and the farm CA, PEM: what it presents and trusts. */
export interface FarmTls {
  key: string;
  cert: string;
  ca: string;
}

/**
 * TLS options of a farm process calling another: its own certificate, the farm CA the only one
 * trusted, and the peer must be the master (SNI `vigil-master`) or a server.
 */
export function farmClientTls(own: FarmTls, peer: PeerIdentity['kind']): ClientTls {
  return {
    ca: own.ca,
    cert: own.cert,
    key: own.key,
    checkServerIdentity: expectPeer(peer),
    ...(peer === 'master' && { servername: MASTER_SNI }),
  };
}
