import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { FarmCa, type KeyAndCert } from './farm-ca.ts';
import { csrPem, newKeyPair, privateKeyPem } from './x509.ts';

/** A farm CA for tests, made by the real code in a temp folder, with certificates for servers on demand. */
export interface TestPki {
  ca: FarmCa;
  dir: string;
  /** A new key and a certificate of server `id`, issued as enrollment does. */
  server(id: string): Promise<KeyAndCert>;
  /** Removes the folder. */
  remove(): void;
}

/** Creates a farm CA in a temp folder (master certificate for 127.0.0.1 and localhost). */
export async function testPki(): Promise<TestPki> {
  const dir = mkdtempSync(join(tmpdir(), 'vigil-pki-'));
  const ca = await FarmCa.open(join(dir, 'pki'), ['127.0.0.1', 'localhost']);
  return {
    ca,
    dir,
    server: async (id) => {
      const keys = await newKeyPair();
      return { key: await privateKeyPem(keys.privateKey), cert: await ca.issueServer(id, await csrPem(keys, id)) };
    },
    remove: () => rmSync(dir, { recursive: true, force: true }),
  };
}
