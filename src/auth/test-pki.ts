import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { FarmCa, type KeyAndCert } from './farm-ca.ts';
import { csrPem, newKeyPair, privateKeyPem } from './x509.ts';
import type { FarmTls } from './peer-identity.ts';
import { tlsFetch, type ClientTls } from '../lib/http/tls.ts';
import { Enrollment } from './enrollment.ts';
import { SetupToken } from './setup-token.ts';
import type { Logger } from '../lib/log.ts';

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

/**
 * Enrolls server `id` through a running master's API as a node does (an admin's invitation, then
 * the token and a CSR): its new identity.
 */
export async function enrollOverApi(
  url: string,
  caPem: string,
  id: string,
  admin: Record<string, string>,
): Promise<FarmTls> {
  const http = tlsFetch({ ca: caPem });
  try {
    const invite = await http.fetch(`${url}/api/v1/servers/${id}/enroll`, { method: 'POST', headers: admin });
    if (!invite.ok) throw new Error(`enroll ${id}: ${invite.status} ${await invite.text()}`);
    const { joinToken } = (await invite.json()) as { joinToken: string };
    const keys = await newKeyPair();
    const res = await http.fetch(`${url}/api/v1/enroll`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ server: id, joinToken, csr: await csrPem(keys, id) }),
    });
    if (!res.ok) throw new Error(`enroll ${id}: ${res.status} ${await res.text()}`);
    const e = (await res.json()) as { certificate: string; ca: string };
    return { key: await privateKeyPem(keys.privateKey), cert: e.certificate, ca: e.ca };
  } finally {
    await http.close();
  }
}

/**
 * The parts of masterApp's options that tests and benches building the app without a Master give
 * alike: a test farm CA (its client options, an Enrollment of every server, its certificate), a
 * configuration apply that changes nothing, a farm that has its users (no setup token); `remove` after.
 */
export async function appTestPki(
  store: ConstructorParameters<typeof Enrollment>[0]['store'],
  log: Logger,
): Promise<{
  nodeTls: ClientTls;
  enrollment: Enrollment;
  caPem: string;
  applyConfig: () => Promise<{ warnings: string[]; summary: string }>;
  setup: SetupToken;
  remove: () => void;
}> {
  const pki = await testPki();
  return {
    nodeTls: { ca: pki.ca.caPem },
    enrollment: new Enrollment({ store, ca: pki.ca, configured: () => true }),
    caPem: pki.ca.caPem,
    applyConfig: async () => ({ warnings: [], summary: '' }),
    setup: SetupToken.prepare({ users: 1, log }),
    remove: pki.remove,
  };
}
