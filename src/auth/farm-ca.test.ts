import { test } from 'node:test';
import assert from 'node:assert/strict';
import { X509Certificate } from 'node:crypto';
import { chmodSync, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { createServer, type Server } from 'node:https';
import { request } from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { AddressInfo } from 'node:net';
import { FarmCa, masterHosts } from './farm-ca.ts';
import { expectPeer, verifiedPeer, type VerifiedPeer } from './peer-identity.ts';
import { csrPem, newKeyPair, privateKeyPem } from './x509.ts';
import { VigilError } from '../lib/errors.ts';

const tmp = () => mkdtempSync(join(tmpdir(), 'vigil-ca-test-'));
const mode = (p: string) => statSync(p).mode & 0o777;

test('the CA is created once, private, and the master certificate names the master and its hosts', async (t) => {
  const dir = tmp();
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const pki = join(dir, 'pki');
  const made: string[] = [];
  const ca = await FarmCa.open(pki, ['127.0.0.1', 'localhost'], (w) => made.push(w));
  assert.equal(made.length, 2, 'CA and master certificate made');
  assert.equal(mode(pki), 0o700);
  assert.equal(mode(join(pki, 'ca.key')), 0o600);
  assert.equal(mode(join(pki, 'master.key')), 0o600);
  assert.match(ca.fingerprint, /^[0-9a-f]{64}$/);
  const caCert = new X509Certificate(ca.caPem);
  assert.equal(caCert.ca, true);
  const master = new X509Certificate(ca.master.cert);
  assert.ok(master.checkIssued(caCert) && master.verify(caCert.publicKey));
  assert.match(master.subjectAltName ?? '', /URI:urn:vigil:master/);
  assert.ok(master.checkIP('127.0.0.1'));
  assert.ok(master.checkHost('localhost'));
  assert.equal(master.publicKey.asymmetricKeyDetails?.namedCurve, 'prime256v1');

  const again = await FarmCa.open(pki, ['127.0.0.1'], (w) => made.push(w));
  assert.equal(again.fingerprint, ca.fingerprint, 'the same CA at the next start');
  assert.equal(again.master.cert, ca.master.cert, 'the master certificate kept while it names every host');
  assert.equal(made.length, 2);

  const moved = await FarmCa.open(pki, ['127.0.0.1', '10.9.8.7'], (w) => made.push(w));
  assert.equal(moved.fingerprint, ca.fingerprint);
  assert.notEqual(moved.master.cert, ca.master.cert, 'a new host: the master certificate issued again');
  assert.ok(new X509Certificate(moved.master.cert).checkIP('10.9.8.7'));
  assert.equal(readFileSync(join(pki, 'master.pem'), 'utf8'), moved.master.cert);
});

test('a CA key readable by other users is refused', async (t) => {
  const dir = tmp();
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  await FarmCa.open(dir, ['127.0.0.1']);
  chmodSync(join(dir, 'ca.key'), 0o640);
  await assert.rejects(FarmCa.open(dir, ['127.0.0.1']), (err: unknown) => {
    assert.ok(err instanceof VigilError);
    assert.equal(err.code, 'KEY_FILE_UNSAFE');
    assert.match(err.message, /ca\.key: the key file is readable by other users \(mode 0640\); run chmod 600/);
    return true;
  });
});

test('a server certificate: CN and URI name of the server, both usages, from a CSR that must verify', async (t) => {
  const dir = tmp();
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const ca = await FarmCa.open(dir, ['127.0.0.1']);
  const keys = await newKeyPair();
  const pem = await ca.issueServer('s1', await csrPem(keys, 'anything'));
  const cert = new X509Certificate(pem);
  assert.equal(cert.subject, 'CN=s1');
  assert.equal(cert.subjectAltName, 'URI:urn:vigil:server:s1');
  assert.ok(cert.verify(new X509Certificate(ca.caPem).publicKey));
  assert.ok(Date.parse(cert.validTo) - Date.now() > 700 * 86_400_000);
  await assert.rejects(ca.issueServer('s1', 'not a csr'), /csr: not a PEM certificate signing request/);
  const csr = await csrPem(keys, 's1');
  const tampered = csr.replace(
    /^(-----BEGIN CERTIFICATE REQUEST-----\n.{20})(.)/m,
    (_m, a, c) => a + (c === 'A' ? 'B' : 'A'),
  );
  await assert.rejects(ca.issueServer('s1', tampered), /csr: /);
});

test('mutual TLS with farm certificates: the server sees who called, the client checks whom it reached', async (t) => {
  const dir = tmp();
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const ca = await FarmCa.open(dir, ['127.0.0.1']);
  const keys = await newKeyPair();
  const s1 = { key: await privateKeyPem(keys.privateKey), cert: await ca.issueServer('s1', await csrPem(keys, 's1')) };
  const seen: (VerifiedPeer | undefined)[] = [];
  const server: Server = createServer(
    { ...ca.master, ca: ca.caPem, requestCert: true, rejectUnauthorized: false },
    (req, res) => {
      seen.push(verifiedPeer(req.socket));
      res.end('ok');
    },
  );
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  t.after(() => server.close());
  const port = (server.address() as AddressInfo).port;
  const call = (o: object) =>
    new Promise<number>((resolve, reject) => {
      const req = request({ host: '127.0.0.1', port, path: '/', agent: false, ca: ca.caPem, ...o }, (res) => {
        res.resume();
        resolve(res.statusCode ?? 0);
      });
      req.on('error', reject);
      req.end();
    });
  assert.equal(await call({ ...s1, checkServerIdentity: expectPeer('master') }), 200);
  assert.deepEqual(seen[0]?.identity, { kind: 'server', server: 's1' });
  assert.match(seen[0]?.fingerprint ?? '', /^[0-9a-f]{64}$/);
  assert.equal(await call({}), 200, 'no client certificate: let in, identified as nobody');
  assert.equal(seen[1], undefined);
  await assert.rejects(call({ checkServerIdentity: expectPeer('server') }), /not a Vigil server's/);
  const stranger = await FarmCa.open(join(dir, 'other'), ['127.0.0.1']);
  await assert.rejects(call({ ca: stranger.caPem }), /self-signed certificate in certificate chain|unable to verify/);
});

test('the master names loopback, its hostname and the host it listens on', () => {
  const hosts = masterHosts('10.1.2.3', ['vigil.example', ' ']);
  for (const h of ['127.0.0.1', 'localhost', '10.1.2.3', 'vigil.example']) assert.ok(hosts.includes(h), h);
  assert.ok(!hosts.includes(' ') && !hosts.includes(''));
  assert.ok(masterHosts('0.0.0.0').includes('127.0.0.1'));
});
