import { STATUS_CODES, type Server } from 'node:http';
import type { Socket } from 'node:net';
import { VigilError, errorBody } from '../errors.ts';
import { durationText } from '../time-range.ts';

/** How long an HTTP server waits for a client, at each stage. */
export interface ServerTimeouts {
  /** The whole request, headers and body, must arrive within this: else 408 and the connection closes. */
  requestMs: number;
  /** The headers must arrive within this (a client trickling headers is cut sooner than a body). */
  headersMs: number;
  /** A connection with no byte either way for this long is closed; it must exceed every wait of a route. */
  idleMs: number;
  /** An idle kept-alive connection is closed after this (clients are told, and close before). */
  keepAliveMs: number;
  /** How often the server looks for requests past requestMs or headersMs (Node's own default is 30 s). */
  checkEveryMs: number;
}

/** The Fastify options that set a server's timeouts, and its answer to a client that is cut. */
export function timeoutOptions(t: ServerTimeouts) {
  return {
    requestTimeout: t.requestMs,
    connectionTimeout: t.idleMs,
    keepAliveTimeout: t.keepAliveMs,
    clientErrorHandler: clientErrorHandler(t),
  };
}

/**
 * The timeouts Fastify has no option for, set on its server before it listens (HTTP and HTTPS
 * alike: Node reads them at 'listening').
 */
export function applyServerTimeouts(server: Server, t: ServerTimeouts): void {
  server.headersTimeout = Math.min(t.headersMs, t.requestMs);
  // A property Node reads at 'listening' (its types miss it).
  (server as Server & { connectionsCheckingInterval: number }).connectionsCheckingInterval = t.checkEveryMs;
}

/**
 * Answers a client cut by the server itself (a request past its timeout, headers too large,
 * bytes that are not HTTP) in the API's one error shape, then closes the connection, as Node does.
 */
export function clientErrorHandler(t: Pick<ServerTimeouts, 'requestMs'>) {
  return (err: NodeJS.ErrnoException, socket: Socket): void => {
    if (err.code === 'ECONNRESET' || socket.destroyed) return;
    const e =
      err.code === 'ERR_HTTP_REQUEST_TIMEOUT'
        ? new VigilError('REQUEST_TIMEOUT', `the request did not arrive whole within ${durationText(t.requestMs)}`)
        : err.code === 'HPE_HEADER_OVERFLOW'
          ? new VigilError('HEADERS_TOO_LARGE', 'the request headers are too large')
          : new VigilError('BAD_REQUEST', 'not a valid HTTP request');
    const body = JSON.stringify(errorBody(e));
    const sent = (socket as Socket & { _httpMessage?: { headersSent?: boolean } })._httpMessage?.headersSent;
    if (socket.writable && !sent)
      socket.write(
        `HTTP/1.1 ${e.httpStatus} ${STATUS_CODES[e.httpStatus]}\r\nconnection: close\r\ncontent-type: application/json\r\ncontent-length: ${Buffer.byteLength(body)}\r\n\r\n${body}`,
      );
    socket.destroy(err);
  };
}
