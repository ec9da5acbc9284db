import { test } from 'node:test';
import assert from 'node:assert/strict';
import Fastify from 'fastify';
import { clientAddress } from './client-address.ts';

// A master's forward is believed only over a connection whose farm certificate is a master's: the
// PostgreSQL case of src/master/master-ha.test.ts shows the leader taking the standby's address.
test("a client's own x-forwarded-for is not believed: the address is the connection's", async (t) => {
  const app = Fastify();
  t.after(() => app.close());
  app.get('/who', async (req) => ({ address: clientAddress(req) }));
  const res = await app.inject({ url: '/who', headers: { 'x-forwarded-for': '203.0.113.9' } });
  assert.deepEqual(res.json(), { address: '127.0.0.1' });
});
