// reflect-metadata first: @peculiar/x509 uses tsyringe, which needs the Reflect polyfill loaded before it.
import 'reflect-metadata';
import * as x509 from '@peculiar/x509';
import { createPrivateKey, randomBytes, webcrypto, X509Certificate } from 'node:crypto';
import { isIP } from 'node:net';

// Node's crypto makes keys and verifies certificates but cannot issue them: @peculiar/x509 builds
// and signs them over node's WebCrypto. Everything here is ECDSA P-256 with SHA-256.
x509.cryptoProvider.set(webcrypto as unknown as Crypto);

const EC_P256 = { name: 'ECDSA', namedCurve: 'P-256', hash: 'SHA-256' } as const;
const DAY_MS = 86_400_000;

/** A key pair of the farm's one algorithm (ECDSA P-256), extractable so it can be written to a file. */
export async function newKeyPair(): Promise<CryptoKeyPair> {
  return (await webcrypto.subtle.generateKey(EC_P256, true, ['sign', 'verify'])) as CryptoKeyPair;
}

/** A private key as PKCS#8 PEM, the form node:tls reads. */
export async function privateKeyPem(key: CryptoKey): Promise<string> {
  const der = Buffer.from(await webcrypto.subtle.exportKey('pkcs8', key));
  return createPrivateKey({ key: der, format: 'der', type: 'pkcs8' }).export({
    format: 'pem',
    type: 'pkcs8',
  }) as string;
}

/** A PEM private key (PKCS#8 or SEC1) as a WebCrypto signing key; refused unless it is ECDSA P-256. */
export async function importSigningKey(pem: string): Promise<CryptoKey> {
  const key = createPrivateKey(pem);
  if (key.asymmetricKeyType !== 'ec' || key.asymmetricKeyDetails?.namedCurve !== 'prime256v1')
    throw new Error('the key is not an ECDSA P-256 key');
  const der = key.export({ format: 'der', type: 'pkcs8' });
  return webcrypto.subtle.importKey('pkcs8', der, EC_P256, false, ['sign']) as Promise<CryptoKey>;
}

/** A certificate signing request (PKCS#10, PEM) for `keys`, naming `cn`: what a node sends to enroll. */
export async function csrPem(keys: CryptoKeyPair, cn: string): Promise<string> {
  const csr = await x509.Pkcs10CertificateRequestGenerator.create({
    name: [{ CN: [cn] }],
    keys,
    signingAlgorithm: EC_P256,
  });
  return csr.toString('pem');
}

/**
 * The public key of a CSR whose signature verifies (its sender holds the private key), refused
 * unless ECDSA P-256. The CSR's names are ignored: the CA decides what a certificate says.
 */
export async function csrPublicKey(pem: string): Promise<x509.PublicKey> {
  let csr: x509.Pkcs10CertificateRequest;
  try {
    csr = new x509.Pkcs10CertificateRequest(pem);
  } catch {
    throw new Error('not a PEM certificate signing request (PKCS#10)');
  }
  const alg = csr.publicKey.algorithm as EcKeyAlgorithm;
  if (alg.name !== 'ECDSA' || alg.namedCurve !== 'P-256') throw new Error('the request is not for an ECDSA P-256 key');
  if (!(await csr.verify())) throw new Error("the request's signature does not verify");
  return csr.publicKey;
}

/** The farm's root: a self-signed CA certificate (PEM) that may sign end-entity certificates only. */
export async function selfSignedCa(keys: CryptoKeyPair, name: string, days: number): Promise<string> {
  const now = Date.now();
  const cert = await x509.X509CertificateGenerator.createSelfSigned({
    serialNumber: serial(),
    name: [{ CN: [name] }],
    notBefore: new Date(now - DAY_MS),
    notAfter: new Date(now + days * DAY_MS),
    keys,
    signingAlgorithm: EC_P256,
    extensions: [
      new x509.BasicConstraintsExtension(true, 0, true),
      new x509.KeyUsagesExtension(x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.cRLSign, true),
      await x509.SubjectKeyIdentifierExtension.create(keys.publicKey),
    ],
  });
  return cert.toString('pem');
}

/** What an issued certificate says: its CN and its subject alternative names. */
export interface CertificateSubject {
  cn: string;
  /** URI names (urn:vigil:master, urn:vigil:server:<id>): how Vigil's peers recognise each other. */
  uris: string[];
  /** Host names and IP addresses the certificate serves (a browser's or the CLI's check). */
  hosts?: string[];
}

/**
 * Signs an end-entity certificate (PEM) with the CA: `subject`'s names, serverAuth and clientAuth
 * (every Vigil process is both), valid `days` from yesterday (clocks a little behind), a random serial.
 */
export async function issueCertificate(
  ca: { cert: string; key: CryptoKey },
  publicKey: CryptoKey | x509.PublicKey,
  subject: CertificateSubject,
  days: number,
): Promise<string> {
  const caCert = new x509.X509Certificate(ca.cert);
  const now = Date.now();
  const names: x509.JsonGeneralName[] = [
    ...subject.uris.map((value) => ({ type: 'url' as const, value })),
    ...(subject.hosts ?? []).map((h) => ({ type: isIP(h) ? ('ip' as const) : ('dns' as const), value: h })),
  ];
  const cert = await x509.X509CertificateGenerator.create({
    serialNumber: serial(),
    subject: [{ CN: [subject.cn] }],
    issuer: caCert.subject,
    notBefore: new Date(now - DAY_MS),
    notAfter: new Date(now + days * DAY_MS),
    signingKey: ca.key,
    publicKey,
    signingAlgorithm: EC_P256,
    extensions: [
      new x509.BasicConstraintsExtension(false, undefined, true),
      new x509.KeyUsagesExtension(x509.KeyUsageFlags.digitalSignature, true),
      new x509.ExtendedKeyUsageExtension([x509.ExtendedKeyUsage.serverAuth, x509.ExtendedKeyUsage.clientAuth]),
      new x509.SubjectAlternativeNameExtension(names),
      await x509.AuthorityKeyIdentifierExtension.create(caCert),
      await x509.SubjectKeyIdentifierExtension.create(
        publicKey instanceof x509.PublicKey ? await publicKey.export() : publicKey,
      ),
    ],
  });
  return cert.toString('pem');
}

/** A certificate's SHA-256 fingerprint (of its DER), lowercase hex without separators. */
export function fingerprint(certPem: string | Buffer): string {
  return fingerprintText(new X509Certificate(certPem).fingerprint256);
}

/** Node's fingerprint notation ("AB:CD:…") as Vigil writes it: lowercase hex without separators. */
export function fingerprintText(colons: string): string {
  return colons.replaceAll(':', '').toLowerCase();
}

/** A positive random 16-byte serial number (hex), as RFC 5280 wants serials unpredictable. */
function serial(): string {
  const b = randomBytes(16);
  b[0] &= 0x7f;
  b[0] |= 0x01;
  return b.toString('hex');
}
