import { test } from 'node:test';
import assert from 'node:assert/strict';
import { X509Certificate } from 'node:crypto';
import { createServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import { connect, type PeerCertificate } from 'node:tls';
import { join } from 'node:path';
import { testPki } from '../auth/test-pki.ts';
import { FarmCa } from '../auth/farm-ca.ts';
import { MASTER_SNI, expectPeer } from '../auth/peer-identity.ts';
import { masterTlsOptions } from './master-tls.ts';

/** The certificate a TLS server shows a client trusting `ca` and sending `servername`. */
function shown(port: number, ca: string, servername?: string, check?: typeof expectPeer): Promise<PeerCertificate> {
  return new Promise((resolve, reject) => {
    const s = connect({
      host: '127.0.0.1',
      port,
      ca,
      ...(servername && { servername }),
      ...(check && { checkServerIdentity: check('master') }),
    });
    s.once('secureConnect', () => {
      resolve(s.getPeerCertificate());
      s.destroy();
    });
    s.once('error', reject);
  });
}

test("with the admin's own certificate, people get it and Vigil processes (SNI vigil-master) the farm's", async (t) => {
  const pki = await testPki();
  t.after(() => pki.remove());
  // The admin's certificate, from a CA of their own (a company CA, say).
  const company = await FarmCa.open(join(pki.dir, 'company'), ['127.0.0.1']);
  const server = createServer(masterTlsOptions(pki.ca, company.master), (_req, res) => res.end());
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  t.after(() => server.close());
  const port = (server.address() as AddressInfo).port;
  const person = await shown(port, company.caPem);
  assert.equal(person.fingerprint256, new X509Certificate(company.master.cert).fingerprint256, "the admin's");
  const node = await shown(port, pki.ca.caPem, MASTER_SNI, expectPeer);
  assert.match(node.subjectaltname ?? '', /URI:urn:vigil:master/);
  assert.notEqual(node.fingerprint256, person.fingerprint256);
  await assert.rejects(
    shown(port, pki.ca.caPem),
    'without the SNI name: the admin certificate, not trusted by the farm CA',
  );
});

test('without one, everybody gets the farm certificate', async (t) => {
  const pki = await testPki();
  t.after(() => pki.remove());
  const server = createServer(masterTlsOptions(pki.ca), (_req, res) => res.end());
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  t.after(() => server.close());
  const port = (server.address() as AddressInfo).port;
  assert.match((await shown(port, pki.ca.caPem)).subjectaltname ?? '', /URI:urn:vigil:master/);
  assert.match((await shown(port, pki.ca.caPem, MASTER_SNI, expectPeer)).subjectaltname ?? '', /urn:vigil:master/);
});
