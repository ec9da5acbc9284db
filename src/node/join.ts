import { X509Certificate } from 'node:crypto';
import { setTimeout as delay } from 'node:timers/promises';
import { Agent, fetch } from 'undici';
import { parseJoinToken } from '../auth/join-token.ts';
import { expectPeer, identityOf, MASTER_SNI, type FarmTls } from '../auth/peer-identity.ts';
import { VigilError, errText } from '../lib/errors.ts';
import type { Logger } from '../lib/log.ts';
import { saveIdentity } from './node-identity.ts';

/** What a node needs to enroll. */
export interface JoinOptions {
  server: string;
  /** The join token `vigil server enroll <server>` printed. */
  token: string;
  masterUrls: string[];
  dataDir: string;
  log: Logger;
  signal?: AbortSignal;
}

/** No master answered (not up yet, the network): worth trying again. */
class Unreachable extends Error {}

/**
 * Enrolls this node: fetches the farm CA from a master and checks it is the one the token names
 * (before anything else is sent), makes the node's key, sends the token and a CSR to the master
 * (now verified against that CA, as the master), checks the certificate it gets back, and keeps
 * it in `<data>/identity/`. Waits for a master while none answers; a refusal is final.
 */
export async function joinFarm(o: JoinOptions): Promise<FarmTls> {
  const token = parseJoinToken(o.token);
  if (!token) throw new VigilError('BAD_REQUEST', 'not a join token (vj1_…): copy it whole from `vigil server enroll`');
  let backoff = 250;
  let logged = false;
  for (let i = 0; ; i++) {
    const url = o.masterUrls[i % o.masterUrls.length].replace(/\/+$/, '');
    try {
      const id = await joinAt(url, o, token.caFingerprint);
      saveIdentity(o.dataDir, id);
      o.log.info({ master: url }, 'enrolled: identity kept in the data folder');
      return id;
    } catch (err) {
      if (!(err instanceof Unreachable) || o.signal?.aborted) throw err;
      if (!logged) o.log.warn({ err: err.message }, 'no master answers; enrollment waits for one');
      logged = true;
      await delay(backoff, undefined, o.signal ? { signal: o.signal } : {});
      backoff = Math.min(backoff * 2, 2000);
    }
  }
}

async function joinAt(url: string, o: JoinOptions, caFingerprint: string): Promise<FarmTls> {
  // Nothing is trusted yet: the CA is fetched unverified, and trusted only if the token names it.
  const caPem = await text(url, '/api/v1/ca.pem', new Agent({ connect: { rejectUnauthorized: false } }));
  let got: string;
  try {
    got = new X509Certificate(caPem).fingerprint256.replaceAll(':', '').toLowerCase();
  } catch {
    throw new VigilError('BAD_REQUEST', `${url}/api/v1/ca.pem is not a certificate: is ${url} a Vigil master?`);
  }
  if (got !== caFingerprint)
    throw new VigilError(
      'UNAUTHORIZED',
      `the master at ${url} has farm CA ${got}, not the token's ${caFingerprint}: another farm's master, or someone in between; nothing was sent`,
    );
  const { csrPem, newKeyPair, privateKeyPem } = await import('../auth/x509.ts'); // only enrolling needs it
  const keys = await newKeyPair();
  const key = await privateKeyPem(keys.privateKey);
  const trusted = new Agent({
    connect: { ca: caPem, servername: MASTER_SNI, checkServerIdentity: expectPeer('master') },
  });
  const answer = JSON.parse(
    await text(url, '/api/v1/enroll', trusted, {
      server: o.server,
      joinToken: o.token,
      csr: await csrPem(keys, o.server),
    }),
  ) as { certificate?: string; ca?: string };
  const cert = new X509Certificate(answer.certificate ?? '');
  const id = identityOf(cert.subjectAltName);
  if (!cert.checkIssued(new X509Certificate(caPem)) || id?.kind !== 'server' || id.server !== o.server)
    throw new VigilError(
      'PKI_INVALID',
      `the master's certificate for ${o.server} is not one of this farm for ${o.server}`,
    );
  return { key, cert: answer.certificate!, ca: caPem };
}

/** GET (or POST `body` as JSON) and the answer's text; a refusal is final, no answer is Unreachable. */
async function text(url: string, path: string, dispatcher: Agent, body?: unknown): Promise<string> {
  let res: Awaited<ReturnType<typeof fetch>>;
  try {
    res = await fetch(url + path, {
      dispatcher,
      signal: AbortSignal.timeout(10_000),
      ...(body !== undefined && {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(body),
      }),
    });
  } catch (err) {
    throw new Unreachable(`${url}: ${errText(err)}`);
  } finally {
    void dispatcher.close();
  }
  const answer = await res.text();
  if (res.status >= 500) throw new Unreachable(`${url}${path}: HTTP ${res.status}`);
  if (!res.ok) {
    let message = answer.slice(0, 300);
    try {
      message = (JSON.parse(answer) as { error: { message: string } }).error.message;
    } catch {
      // not the API's error shape: its text
    }
    throw new VigilError(
      'UNAUTHORIZED',
      `the master at ${url} refused ${path} (HTTP ${res.status}): ${message}`,
      res.status,
    );
  }
  return answer;
}
