import { deadline } from '../lib/deadline.ts';
import type { Readable } from 'node:stream';
import type { Controller } from '../controller/controller.ts';
import { VigilError } from '../lib/errors.ts';
import type { NodeResponse } from '../node-client/keep-alive-http.ts';
import { NodeClient } from '../node-client/node-client.ts';
import { NodeHttpError, NodeUnreachableError } from '../node-client/node-http-error.ts';
import type { NodeSegmentList, StorageCheck } from '../protocol/node-api.ts';
import type { ClientTls } from '../lib/http/tls.ts';
import type { NodeChain } from '../protocol/chain-link.ts';

/** How long the master waits for a node's segment list or live playlist: a dead server must not hold playback up. */
const LIST_TIMEOUT_MS = 3000;
/** Upper bound on fetching one segment (about a second of video). */
const SEGMENT_TIMEOUT_MS = 30_000;

/** A node's answer with a body to relay: the body and its length when the node gave one. */
export interface RelayedBody {
  body: Readable;
  length?: string;
}

/**
 * The master's side of the recording servers' API, by server id, over the one NodeClient. A node's
 * address is its configured host and the port its own status reported (Controller.apiUrlOf), never
 * a URL from a status or a request. Errors become the
 * master's own answers: a node's 404 is the caller's 404, no answer is 503, the rest is the node's
 * fault (502).
 */
export class ServerNodes {
  private readonly client: NodeClient;

  constructor(
    private readonly controller: Pick<Controller, 'apiUrlOf'>,
    /** The master's certificate and the farm CA; the peer must be a server's (farmClientTls). */
    tls: ClientTls,
  ) {
    this.client = new NodeClient({ tls });
  }

  /** The segments `server` holds of `camera` overlapping [fromMs, toMs). Throws when the server does not answer. */
  list(server: string, camera: string, fromMs: number, toMs: number, stream = 0): Promise<NodeSegmentList['segments']> {
    return this.call(server, 'the segment list', (base) =>
      this.client.segments(base, { camera, from: fromMs, to: toMs, stream }, AbortSignal.timeout(LIST_TIMEOUT_MS)),
    );
  }

  /** `server`'s signed chain links of a camera stream over [fromMs, toMs). Throws when the server does not answer. */
  chain(server: string, camera: string, fromMs: number, toMs: number, stream = 0): Promise<NodeChain> {
    return this.call(server, 'the segment chain', (base) =>
      this.client.chain(base, { camera, from: fromMs, to: toMs, stream }, AbortSignal.timeout(LIST_TIMEOUT_MS)),
    );
  }

  /** One segment's bytes, its body still to be read. */
  async segment(server: string, id: number, signal?: AbortSignal): Promise<RelayedBody> {
    return relayed(
      await this.call(server, `segment ${id}`, (base) =>
        this.client.segment(base, id, { signal: segmentSignal(signal) }),
      ),
    );
  }

  /** One segment of a server's pre-buffer (a live relay's), its body still to be read. */
  async buffered(
    server: string,
    camera: string,
    stream: number,
    startMs: number,
    signal?: AbortSignal,
  ): Promise<RelayedBody> {
    return relayed(
      await this.call(server, `buffered segment ${startMs} of ${camera}`, (base) =>
        this.client.buffered(base, camera, stream, startMs, segmentSignal(signal)),
      ),
    );
  }

  /** The live playlist `server` gives for `camera`, URIs as the node wrote them. */
  live(server: string, camera: string, stream = 0): Promise<string> {
    return this.call(server, `the live playlist of ${camera}`, (base) =>
      this.client.live(base, camera, stream, AbortSignal.timeout(LIST_TIMEOUT_MS)),
    );
  }

  /** Asks `server` whether these paths exist and take writes there. Throws when it does not answer. */
  checkStorage(server: string, body: StorageCheck): Promise<string[]> {
    return this.call(server, 'the storage check', (base) =>
      this.client.checkStorage(base, body, AbortSignal.timeout(LIST_TIMEOUT_MS)),
    );
  }

  /** Closes the connections to the servers. */
  close(): void {
    this.client.close();
  }

  private async call<T>(server: string, what: string, fn: (base: string) => Promise<T>): Promise<T> {
    const base = this.controller.apiUrlOf(server);
    if (!base)
      throw new VigilError('SERVER_UNREACHABLE', `server ${server} has not told which port its API listens on`, 503);
    try {
      return await fn(base);
    } catch (err) {
      if (err instanceof NodeHttpError) {
        if (err.status === 404) throw new VigilError('NOT_FOUND', `server ${server} has no ${what}`, 404);
        if (err.status >= 400 && err.status < 500)
          throw new VigilError('NODE_REFUSED', `server ${server} refused ${what} (${err.status})`, 502);
        throw new VigilError('SERVER_ERROR', `server ${server} answered ${err.status}`, 502);
      }
      const why = err instanceof NodeUnreachableError && err.cause instanceof Error ? err.cause.message : String(err);
      throw new VigilError('SERVER_UNREACHABLE', `server ${server} does not answer: ${why}`, 503);
    }
  }
}

function segmentSignal(signal: AbortSignal | undefined): AbortSignal {
  // Its timer is unref'd and fires harmlessly once the segment is read (deadline.ts says why not AbortSignal.any).
  return deadline(SEGMENT_TIMEOUT_MS, signal).signal;
}

function relayed(res: NodeResponse): RelayedBody {
  const length = res.headers?.['content-length'];
  return { body: res.body, ...(typeof length === 'string' && { length }) };
}
