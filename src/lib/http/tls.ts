import type { PeerCertificate } from 'node:tls';
import { Agent, fetch as undiciFetch, type RequestInit, type Response } from 'undici';

/** What a TLS client trusts and presents: the CA it verifies peers against, its own key and certificate. */
export interface ClientTls {
  /** CA certificate(s), PEM: the only ones trusted (not the system's). */
  ca: string;
  /** The client certificate (PEM) and its key, when the peer wants one (mutual TLS). */
  cert?: string;
  key?: string;
  /** The name sent as SNI (a master with an admin's own certificate answers its farm certificate to `vigil-master`). */
  servername?: string;
  /** Replaces the host name check (farm peers are recognised by the URI name of their certificate). */
  checkServerIdentity?: (host: string, cert: PeerCertificate) => Error | undefined;
}

/** A fetch bound to one TLS setting (keep-alive connections), and what closes them. */
export interface TlsFetch {
  fetch: (url: string, init?: RequestInit) => Promise<Response>;
  /** Closes the connections once the requests under way are done (their bodies read). */
  close(): Promise<void>;
  /** Ends every connection now, answers unread or not. */
  destroy(): Promise<void>;
}

/**
 * fetch over undici with `tls`: it trusts `tls.ca` only and presents `tls.cert`; `timeouts` bound
 * a silent connection (default: undici's 300 s for headers and body).
 */
export function tlsFetch(tls: ClientTls | undefined, timeouts: { headersMs?: number; bodyMs?: number } = {}): TlsFetch {
  const agent = new Agent({
    ...(tls && { connect: { ...tls } }),
    ...(timeouts.headersMs && { headersTimeout: timeouts.headersMs }),
    ...(timeouts.bodyMs && { bodyTimeout: timeouts.bodyMs }),
  });
  return {
    fetch: (url, init) => undiciFetch(url, { ...init, dispatcher: agent }),
    close: () => agent.close(),
    destroy: () => agent.destroy(),
  };
}
