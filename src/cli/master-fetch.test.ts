import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { masterFetch } from './master-fetch.ts';

// Plain HTTP servers stand in for masters: what is checked is which one gets the request.
async function listening(handler: Parameters<typeof createServer>[1]): Promise<{ url: string; server: Server }> {
  const server = createServer(handler);
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, server };
}

/** A loopback port nobody listens on (taken, then given back). */
async function closedPort(): Promise<string> {
  const { url, server } = await listening(() => {});
  await new Promise((r) => server.close(r));
  return url;
}

test('masterFetch over a farm’s masters: the first that takes the connection answers; none twice', async (t) => {
  let asked = 0;
  const up = await listening((_req, res) => {
    asked++;
    res.end('ok');
  });
  // Takes the connection, then cuts it: the request may have been carried out, so it is not sent on.
  const cuts = await listening((req) => req.socket.destroy());
  t.after(() => {
    up.server.close();
    cuts.server.close();
  });
  const down = await closedPort();
  const down2 = await closedPort();

  const res = await masterFetch({ master: `${down},${up.url}/` }, '/api/v1/health');
  assert.equal(await res.text(), 'ok', 'the second answers when the first takes no connection');
  assert.equal(asked, 1);

  await assert.rejects(masterFetch({ master: down }, '/x'), (err: Error) => {
    assert.match(err.message, /^cannot reach the master at http:\/\/127\.0\.0\.1:\d+: connection refused/);
    return true;
  });
  await assert.rejects(masterFetch({ master: `${down},${down2}` }, '/x'), (err: Error) => {
    assert.equal(err.message.split('; ').length, 2, err.message);
    assert.match(err.message, /^cannot reach a master: .*connection refused.*; .*connection refused/);
    return true;
  });
  await assert.rejects(masterFetch({ master: `${cuts.url},${up.url}` }, '/api/v1/servers/s1/failover'));
  assert.equal(asked, 1, 'a request a master may have had is not sent to the next');
  await assert.rejects(masterFetch({ master: ' , ' }, '/x'), /no master URL/);
});
