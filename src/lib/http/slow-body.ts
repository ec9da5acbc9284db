import { request as httpRequest } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { connect } from 'node:net';
import { connect as tlsConnect } from 'node:tls';
import type { ClientTls } from './tls.ts';

/**
 * Test helper: sends the headers of a request announcing `announcedBytes` of body, then only a
 * first chunk, and resolves with the status, the answer's text and the time to it, without ever
 * sending the rest (over HTTPS with `tls` for an https URL).
 */
export function statusBeforeBody(
  url: string,
  method: string,
  headers: Record<string, string>,
  announcedBytes = 64 * 1024 * 1024,
  tls?: ClientTls,
): Promise<{ status: number; ms: number; body: string }> {
  return new Promise((resolve, reject) => {
    const t0 = Date.now();
    const request = url.startsWith('https:') ? httpsRequest : httpRequest;
    const req = request(url, {
      ...tls,
      method,
      headers: { 'content-type': 'application/json', 'content-length': String(announcedBytes), ...headers },
    });
    req.on('response', (res) => {
      const status = res.statusCode ?? 0;
      const ms = Date.now() - t0;
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (d: string) => {
        body += d;
      });
      const done = () => {
        resolve({ status, ms, body });
        req.destroy();
      };
      res.once('end', done);
      res.once('error', done);
      res.once('close', done);
    });
    req.on('error', (err) => {
      if (!req.destroyed) reject(err);
    });
    req.write(`{"x":"${'y'.repeat(16 * 1024)}`); // the body starts, and stops there
  });
}

/**
 * Test helper: opens a connection (TLS for an https URL, with `tls`), sends the start of a request's headers and never the end;
 * resolves with what the server wrote before it closed the connection.
 */
export function headersNeverEnd(url: string, tls?: ClientTls): Promise<string> {
  return new Promise((resolve, reject) => {
    const u = new URL(url);
    const socket =
      u.protocol === 'https:'
        ? tlsConnect({ ...tls, port: Number(u.port), host: u.hostname })
        : connect(Number(u.port), u.hostname);
    let got = '';
    socket.setEncoding('utf8');
    socket.on('data', (d: string) => {
      got += d;
    });
    socket.once('error', (err) => ((err as NodeJS.ErrnoException).code === 'ECONNRESET' ? resolve(got) : reject(err)));
    socket.once('close', () => resolve(got));
    socket.write(`GET ${u.pathname} HTTP/1.1\r\nhost: ${u.host}\r\nx-slow: `);
  });
}
