import { test } from 'node:test';
import assert from 'node:assert/strict';
import { X509Certificate } from 'node:crypto';
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Master } from '../master/master.ts';
import { createLogger } from '../lib/log.ts';
import { newFarmKey } from '../lib/farm-key.ts';
import { addTestUsers } from '../auth/test-users.ts';
import { tlsFetch } from '../lib/http/tls.ts';
import { joinFarm } from './join.ts';
import { identityDir, loadIdentity } from './node-identity.ts';

const FARM_KEY = Buffer.from(newFarmKey());
const log = createLogger('test', 'silent');

test('a node joins with its token: the CA checked against the token first, then its certificate kept privately', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'vigil-join-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const { ada } = await addTestUsers(join(dir, 'farm.sqlite'), { ada: 'admin' });
  const master = new Master({
    store: join(dir, 'farm.sqlite'),
    host: '127.0.0.1',
    port: 0,
    farmKey: FARM_KEY,
    pkiDir: join(dir, 'pki'),
    config: {
      groups: [{ id: 1 }],
      servers: [{ id: 's1', group: 1, host: '127.0.0.1', udpPort: 19201 }],
      cameras: [],
    },
    log,
  });
  await master.start();
  t.after(() => master.close());
  const http = tlsFetch({ ca: master.ca!.caPem });
  t.after(() => http.close());
  const invite = async () => {
    const res = await http.fetch(`${master.url}/api/v1/servers/s1/enroll`, {
      method: 'POST',
      headers: { authorization: `Bearer ${ada}` },
    });
    return ((await res.json()) as { joinToken: string }).joinToken;
  };
  const token = await invite();
  const data = join(dir, 'node');

  // The same secret naming another CA: refused before the token is sent, so it is not spent.
  const otherCa = `${token.slice(0, -64)}${'0'.repeat(64)}`;
  await assert.rejects(
    joinFarm({ server: 's1', token: otherCa, masterUrls: [master.url], dataDir: data, log }),
    /has farm CA [0-9a-f]{64}, not the token's 0{64}: .*nothing was sent/,
  );
  await assert.rejects(
    joinFarm({ server: 's1', token: 'nonsense', masterUrls: [master.url], dataDir: data, log }),
    /not a join token/,
  );
  assert.equal(loadIdentity(data), undefined);

  const id = await joinFarm({ server: 's1', token, masterUrls: [master.url], dataDir: data, log });
  const cert = new X509Certificate(id.cert);
  assert.equal(cert.subjectAltName, 'URI:urn:vigil:server:s1');
  assert.equal(id.ca, master.ca!.caPem);
  assert.deepEqual(loadIdentity(data), id);
  assert.equal(statSync(identityDir(data)).mode & 0o777, 0o700);
  for (const f of ['key.pem', 'cert.pem', 'ca.pem'])
    assert.equal(statSync(join(identityDir(data), f)).mode & 0o777, 0o600, f);

  // Used once; a new invitation enrolls the server again, with a new key.
  await assert.rejects(
    joinFarm({ server: 's1', token, masterUrls: [master.url], dataDir: data, log }),
    /refused \/api\/v1\/enroll \(HTTP 401\)/,
  );
  const again = await joinFarm({ server: 's1', token: await invite(), masterUrls: [master.url], dataDir: data, log });
  assert.notEqual(again.key, id.key);
  assert.deepEqual(loadIdentity(data), again);
});
