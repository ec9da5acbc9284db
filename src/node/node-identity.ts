import { createPrivateKey, X509Certificate } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { VigilError } from '../lib/errors.ts';
import { join } from 'node:path';
import type { FarmTls } from '../auth/peer-identity.ts';
import { readKeyFile, writePrivateFile } from '../auth/key-file.ts';

/** Where a node keeps its identity: `<data dir>/identity/` (0700), key.pem, cert.pem and ca.pem (0600). */
export function identityDir(dataDir: string): string {
  return join(dataDir, 'identity');
}

/** The node's enrolled identity (its key, its certificate, the farm CA), or undefined when it has not enrolled. */
export function loadIdentity(dataDir: string): FarmTls | undefined {
  const dir = identityDir(dataDir);
  const files = ['key.pem', 'cert.pem', 'ca.pem'].map((f) => join(dir, f));
  if (!files.every((f) => existsSync(f))) return undefined;
  const id = { key: readKeyFile(files[0]), cert: readFileSync(files[1], 'utf8'), ca: readFileSync(files[2], 'utf8') };
  if (!new X509Certificate(id.cert).checkPrivateKey(createPrivateKey(id.key)))
    throw new VigilError(
      'PKI_INVALID',
      `${dir}: key.pem is not the key of cert.pem; enroll this server again (--join)`,
    );
  return id;
}

/** Keeps an identity got at enrollment, replacing the one before (each file whole; loadIdentity checks key and certificate match). */
export function saveIdentity(dataDir: string, id: FarmTls): void {
  const dir = identityDir(dataDir);
  writePrivateFile(join(dir, 'key.pem'), id.key);
  writePrivateFile(join(dir, 'ca.pem'), id.ca);
  writePrivateFile(join(dir, 'cert.pem'), id.cert);
}
