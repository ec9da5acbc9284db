import { connect } from 'node:net';
import { connect as tlsConnect } from 'node:tls';

/**
 * Whether an RTSP camera answers at all: a connection and any RTSP reply to OPTIONS within
 * `timeoutMs`. A 401 or 404 still counts: the device is there, so a recording that cannot start
 * is not the camera being offline. The request carries no credentials and the URL is sent without them.
 */
export function rtspReachable(url: string, timeoutMs: number): Promise<boolean> {
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    return Promise.resolve(false);
  }
  const tls = u.protocol === 'rtsps:';
  const port = Number(u.port || (tls ? 322 : 554));
  u.username = '';
  u.password = '';
  return new Promise((resolve) => {
    const host = u.hostname.replace(/^\[|\]$/g, '');
    const sock = tls
      ? tlsConnect({ host, port, rejectUnauthorized: false, servername: host })
      : connect({ host, port });
    let reply = '';
    const done = (up: boolean) => {
      clearTimeout(timer);
      sock.destroy();
      resolve(up);
    };
    const timer = setTimeout(() => done(false), timeoutMs);
    sock.once(tls ? 'secureConnect' : 'connect', () =>
      sock.write(`OPTIONS ${u.toString()} RTSP/1.0\r\nCSeq: 1\r\nUser-Agent: vigil\r\n\r\n`),
    );
    sock.on('data', (d: Buffer) => {
      reply += d.toString('latin1');
      if (reply.length >= 9) done(reply.startsWith('RTSP/1.'));
    });
    sock.once('error', () => done(false));
    sock.once('close', () => done(reply.startsWith('RTSP/1.')));
  });
}
