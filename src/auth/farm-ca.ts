import { createPrivateKey, X509Certificate } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { isIP } from 'node:net';
import { hostname, networkInterfaces } from 'node:os';
import { join } from 'node:path';
import { VigilError } from '../lib/errors.ts';
import { readKeyFile, writePrivateFile } from './key-file.ts';
import { MASTER_URI, serverUri } from './peer-identity.ts';
import {
  csrPublicKey,
  fingerprint,
  importSigningKey,
  issueCertificate,
  newKeyPair,
  privateKeyPem,
  selfSignedCa,
} from './x509.ts';

/** How long the farm CA is valid: longer than any farm is left unattended. */
const CA_DAYS = 20 * 365;
/** How long a server's and the master's certificates are valid; a server re-enrolls before. */
export const CERT_DAYS = 2 * 365;
/** The master's certificate is issued again at start when it expires within this. */
const RENEW_BEFORE_MS = 30 * 86_400_000;

/** A private key and its certificate chain, PEM: what a TLS endpoint presents. */
export interface KeyAndCert {
  key: string;
  cert: string;
}

/**
 * The farm's certificate authority, kept by the master in `<data>/pki/` (folder 0700): `ca.key`
 * (0600) and `ca.pem`, and the master's own key and certificate (`master.key`, `master.pem`:
 * urn:vigil:master, the addresses it serves). Created at the master's first start; it signs the
 * certificate of each server at enrollment (urn:vigil:server:<id>, CN=<id>).
 */
export class FarmCa {
  /** The CA certificate's SHA-256 fingerprint (lowercase hex): what a join token names. */
  readonly fingerprint: string;

  private constructor(
    /** The CA certificate (PEM): what every Vigil process trusts. */
    readonly caPem: string,
    private readonly caKey: CryptoKey,
    /** The master's key and certificate, signed by the CA. */
    readonly master: KeyAndCert,
  ) {
    this.fingerprint = fingerprint(caPem);
  }

  /**
   * Opens the CA in `dir`, creating it if there is none; issues the master's certificate again when
   * it is missing, expires within 30 days or does not name every one of `hosts`.
   */
  static async open(dir: string, hosts: string[], onCreate?: (what: string) => void): Promise<FarmCa> {
    mkdirSync(dir, { recursive: true, mode: 0o700 });
    const caFile = join(dir, 'ca.pem');
    const caKeyFile = join(dir, 'ca.key');
    if (!existsSync(caFile)) {
      if (existsSync(caKeyFile))
        throw new VigilError(
          'PKI_INVALID',
          `${caKeyFile} exists without ${caFile}: restore the CA certificate, or remove both to make a new farm CA (every server enrolls again)`,
        );
      const keys = await newKeyPair();
      const pem = await selfSignedCa(keys, 'Vigil farm CA', CA_DAYS);
      writePrivateFile(caKeyFile, await privateKeyPem(keys.privateKey));
      writePrivateFile(caFile, pem, 0o644);
      onCreate?.(`farm CA created in ${dir}`);
    }
    const caPem = readFileSync(caFile, 'utf8');
    const caKeyPem = readKeyFile(caKeyFile);
    if (!new X509Certificate(caPem).checkPrivateKey(createPrivateKey(caKeyPem)))
      throw new VigilError('PKI_INVALID', `${caKeyFile} is not the key of ${caFile}`);
    const caKey = await importSigningKey(caKeyPem);
    const master = await masterCertificate(dir, { cert: caPem, key: caKey }, hosts, onCreate);
    return new FarmCa(caPem, caKey, master);
  }

  /** Signs the certificate of server `id` for the key of a CSR (which must verify, ECDSA P-256). */
  async issueServer(id: string, csr: string): Promise<string> {
    let publicKey: Awaited<ReturnType<typeof csrPublicKey>>;
    try {
      publicKey = await csrPublicKey(csr);
    } catch (err) {
      throw new VigilError('BAD_REQUEST', `csr: ${(err as Error).message}`);
    }
    return issueCertificate(
      { cert: this.caPem, key: this.caKey },
      publicKey,
      { cn: id, uris: [serverUri(id)] },
      CERT_DAYS,
    );
  }
}

/** The names the master's certificate must hold: loopback, this machine's name, the API host, and `extra`. */
export function masterHosts(apiHost: string, extra: string[] = []): string[] {
  const out = new Set(['127.0.0.1', '::1', 'localhost', hostname()]);
  if (apiHost === '0.0.0.0' || apiHost === '::') {
    // Listening everywhere: every address of this machine is one a client may use.
    for (const list of Object.values(networkInterfaces()))
      for (const a of list ?? []) if (!a.address.startsWith('fe80:')) out.add(a.address);
  } else if (apiHost) out.add(apiHost);
  for (const h of extra) if (h.trim()) out.add(h.trim());
  return [...out];
}

async function masterCertificate(
  dir: string,
  ca: { cert: string; key: CryptoKey },
  hosts: string[],
  onCreate?: (what: string) => void,
): Promise<KeyAndCert> {
  const certFile = join(dir, 'master.pem');
  const keyFile = join(dir, 'master.key');
  if (existsSync(certFile) && existsSync(keyFile)) {
    const cert = readFileSync(certFile, 'utf8');
    const key = readKeyFile(keyFile);
    if (stillGood(cert, key, ca.cert, hosts)) return { key, cert };
  }
  const keys = await newKeyPair();
  const key = await privateKeyPem(keys.privateKey);
  const cert = await issueCertificate(ca, keys.publicKey, { cn: 'vigil master', uris: [MASTER_URI], hosts }, CERT_DAYS);
  writePrivateFile(keyFile, key);
  writePrivateFile(certFile, cert, 0o644);
  onCreate?.(`master certificate issued for ${hosts.join(', ')}`);
  return { key, cert };
}

/** Whether the master's certificate on disk is this CA's, for this key, not near its end, and names every host. */
function stillGood(certPem: string, keyPem: string, caPem: string, hosts: string[]): boolean {
  try {
    const cert = new X509Certificate(certPem);
    const ca = new X509Certificate(caPem);
    if (!cert.checkIssued(ca) || !cert.verify(ca.publicKey)) return false;
    if (!cert.checkPrivateKey(createPrivateKey(keyPem))) return false;
    if (Date.parse(cert.validTo) - Date.now() < RENEW_BEFORE_MS) return false;
    return hosts.every((h) => (isIP(h) ? cert.checkIP(h) : cert.checkHost(h)) !== undefined);
  } catch {
    return false;
  }
}
