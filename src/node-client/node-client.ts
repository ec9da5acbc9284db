import type { TSchema, Static } from '@sinclair/typebox';
import { Value } from '@sinclair/typebox/value';
import {
  IndexDigest,
  nodeIndexDigestPath,
  type DigestQuery,
  NodeFileList,
  nodeFilesPath,
  NodeCopyList,
  NodeSegmentList,
  ReleaseResult,
  StorageCheckResult,
  nodeBufferPath,
  nodeChainPath,
  nodeCopyListPath,
  nodeLivePath,
  nodeReleasePath,
  nodeSegmentIdPath,
  nodeSegmentPath,
  nodeSegmentsPath,
  NODE_ROUTES,
  type RangeQuery,
  type StorageCheck,
} from '../protocol/node-api.ts';
import { NodeChain } from '../protocol/chain-link.ts';
import { KeepAliveHttp, readText, type NodeResponse, type SendRequest } from './keep-alive-http.ts';
import { NodeHttpError, NodeUnreachableError, nodeHttpError } from './node-http-error.ts';
import type { ClientTls } from '../lib/http/tls.ts';

/** Settings and ports of a NodeClient. */
export interface NodeClientOptions {
  /**
   * The caller's farm certificate and the farm CA (a NodeApi wants mutual TLS): see farmClientTls.
   * No credential but the certificate is ever sent, so a wrong address cannot collect one.
   */
  tls?: ClientTls;
  /** How requests are sent (default: node:https over keep-alive connections, `maxSockets` per server). */
  http?: SendRequest;
  /** Connections per server at most with the default transport (default: no limit). */
  maxSockets?: number;
}

/** A call's options: what ends it, and headers of its own. */
export interface CallOptions {
  signal: AbortSignal;
  headers?: Record<string, string>;
}

/**
 * The one client of a recording server's API (NodeApi), for the master (playback relay, storage
 * check) and for another server (copy-back): mutual TLS with the farm CA, the protocol's URLs,
 * answers checked against the protocol's schemas, and errors typed: NodeUnreachableError when no
 * answer came, NodeHttpError (status and the node's error code) when the answer is an error.
 * `base` is the node's API URL (e.g. https://10.0.0.11:41234): the master's from nodeApiUrl(configured host, reported port).
 */
export class NodeClient {
  private readonly send: SendRequest;
  private readonly own: KeepAliveHttp | undefined;

  constructor(o: NodeClientOptions) {
    this.own = o.http ? undefined : new KeepAliveHttp(o.maxSockets ?? Number.POSITIVE_INFINITY, o.tls);
    this.send = o.http ?? this.own!.send;
  }

  /** The segments a node holds of a camera stream over a range. */
  async segments(base: string, q: RangeQuery, signal: AbortSignal): Promise<NodeSegmentList['segments']> {
    return (await this.json(base, 'GET', nodeSegmentsPath(q), NodeSegmentList, { signal })).segments;
  }

  /** The segments a node holds of a camera stream over a range, with their sizes on disk: what copy-back copies. */
  async copyList(base: string, q: RangeQuery, signal: AbortSignal): Promise<NodeCopyList['segments']> {
    return (await this.json(base, 'GET', nodeCopyListPath(q), NodeCopyList, { signal })).segments;
  }

  /** A node's signed segment chain over a camera stream's range, with the certificate that verifies it. */
  chain(base: string, q: RangeQuery, signal: AbortSignal): Promise<NodeChain> {
    return this.json(base, 'GET', nodeChainPath(q), NodeChain, { signal });
  }

  /** A camera stream's files on a node's disks over a range (at most MAX_FILES_MS), hashed now: what verify compares. */
  async files(base: string, q: RangeQuery, signal: AbortSignal): Promise<NodeFileList['files']> {
    return (await this.json(base, 'GET', nodeFilesPath(q), NodeFileList, { signal })).files;
  }

  /** The digest of a node's index by camera stream and hour over a range of segment starts (reconcile). */
  async indexDigest(base: string, q: DigestQuery, signal: AbortSignal): Promise<IndexDigest['hours']> {
    return (await this.json(base, 'GET', nodeIndexDigestPath(q), IndexDigest, { signal })).hours;
  }

  /** Asks a node whether these paths exist and take writes there: one line per problem. */
  async checkStorage(base: string, body: StorageCheck, signal: AbortSignal): Promise<string[]> {
    return (await this.json(base, 'POST', NODE_ROUTES.storageCheck, StorageCheckResult, { signal }, body)).problems;
  }

  /** A node's live HLS playlist of a camera stream, URIs as the node wrote them (see parseNodeSegmentPath). */
  async live(base: string, camera: string, stream: number, signal: AbortSignal): Promise<string> {
    return readText((await this.get(base, nodeLivePath(camera, stream), { signal })).body);
  }

  /** A recorded segment, its body still to be read; copy-back asks for it by bare id, with a digest header. */
  segment(base: string, id: number, o: CallOptions & { bare?: boolean }): Promise<NodeResponse> {
    return this.get(base, o.bare ? nodeSegmentIdPath(id) : nodeSegmentPath(id), o);
  }

  /** A segment of a node's pre-buffer (a live relay's, a hot standby's), its body still to be read. */
  buffered(base: string, camera: string, stream: number, startMs: number, signal: AbortSignal): Promise<NodeResponse> {
    return this.get(base, nodeBufferPath(camera, stream, startMs), { signal });
  }

  /** Has a node delete its copy of a segment, which it does only if its file has this checksum. */
  async release(base: string, id: number, sha256: string, signal: AbortSignal): Promise<boolean> {
    return (await this.json(base, 'POST', nodeReleasePath(id), ReleaseResult, { signal }, { sha256 })).released;
  }

  /** A GET whose answer is a success, its body still to be read; else a typed error. */
  async get(base: string, path: string, o: CallOptions): Promise<NodeResponse> {
    return this.ok(await this.request(base, 'GET', path, o), 'GET', path);
  }

  /** A call whose answer is JSON fitting `schema`; else a typed error. */
  async json<S extends TSchema>(
    base: string,
    method: 'GET' | 'POST',
    path: string,
    schema: S,
    o: CallOptions,
    body?: unknown,
  ): Promise<Static<S>> {
    const res = await this.ok(await this.request(base, method, path, o, body), method, path);
    const answer: unknown = JSON.parse(await readText(res.body));
    if (!Value.Check(schema, answer))
      throw new NodeHttpError(200, 'BAD_ANSWER', 'the answer does not fit the protocol', `${method} ${route(path)}`);
    return answer;
  }

  /** Sends a call and gives whatever status came back; NodeUnreachableError when no answer came. */
  async request(
    base: string,
    method: 'GET' | 'POST',
    path: string,
    o: CallOptions,
    body?: unknown,
  ): Promise<NodeResponse> {
    const headers: Record<string, string> = { ...o.headers };
    if (body !== undefined) headers['content-type'] = 'application/json';
    try {
      return await this.send({
        method,
        url: `${base.replace(/\/+$/, '')}${path}`,
        headers,
        signal: o.signal,
        body: body === undefined ? undefined : JSON.stringify(body),
      });
    } catch (err) {
      if (o.signal.aborted) throw err;
      throw new NodeUnreachableError(`${method} ${route(path)} at ${base}`, err);
    }
  }

  /** Closes the connections this client opened itself. */
  close(): void {
    this.own?.close();
  }

  private async ok(res: NodeResponse, method: string, path: string): Promise<NodeResponse> {
    if (res.status >= 200 && res.status < 300) return res;
    throw await nodeHttpError(res.status, res.body, `${method} ${route(path)}`);
  }
}

/** A path without its query, for messages: queries name cameras, which is fine, but make lines long. */
function route(path: string): string {
  return path.split('?')[0];
}
