import type { Static } from '@sinclair/typebox';
import type { Controller } from '../controller/controller.ts';
import type { NodeSegmentList, StorageCheck, StorageCheckResult } from '../protocol/node-api.ts';
import { nodeSegmentPath } from '../protocol/node-api.ts';
import { VigilError } from '../lib/errors.ts';

/** How long the master waits for a node's segment list or live playlist: a dead server must not hold playback up. */
const LIST_TIMEOUT_MS = 3000;
/** Upper bound on fetching one segment (about a second of video). */
const SEGMENT_TIMEOUT_MS = 30_000;

/**
 * The master's side of the recording servers' playback API. A node's address comes only from its
 * own (authenticated) status, never from a request, and every call carries the farm's API token.
 */
export class NodeClient {
  constructor(
    private readonly controller: Pick<Controller, 'liveOf'>,
    private readonly apiToken: Buffer,
  ) {}

  /** The segments `server` holds of `camera` overlapping [fromMs, toMs). Throws when the server does not answer. */
  async list(
    server: string,
    camera: string,
    fromMs: number,
    toMs: number,
    stream = 0,
  ): Promise<Static<typeof NodeSegmentList>['segments']> {
    const q = new URLSearchParams({ camera, from: String(fromMs), to: String(toMs), stream: String(stream) });
    const res = await this.get(server, `/node/v1/segments?${q}`, AbortSignal.timeout(LIST_TIMEOUT_MS));
    return ((await res.json()) as Static<typeof NodeSegmentList>).segments;
  }

  /** One segment's bytes, as a response whose body is still to be read. */
  segment(server: string, id: number, signal?: AbortSignal): Promise<Response> {
    return this.buffered(server, nodeSegmentPath(id), signal);
  }

  /** A segment by the node's path for it (an indexed one, or one of a live relay's pre-buffer). */
  buffered(server: string, nodePath: string, signal?: AbortSignal): Promise<Response> {
    const timeout = AbortSignal.timeout(SEGMENT_TIMEOUT_MS);
    return this.get(server, nodePath, signal ? AbortSignal.any([signal, timeout]) : timeout);
  }

  /** The live playlist `server` gives for `camera`, URIs as the node wrote them. */
  async live(server: string, camera: string, stream = 0): Promise<string> {
    const res = await this.get(
      server,
      `/node/v1/cameras/${encodeURIComponent(camera)}/live.m3u8?stream=${stream}`,
      AbortSignal.timeout(LIST_TIMEOUT_MS),
    );
    return res.text();
  }

  /** Asks `server` whether these paths exist and take writes there. Throws when it does not answer. */
  async checkStorage(server: string, body: Static<typeof StorageCheck>): Promise<string[]> {
    const res = await this.get(server, '/node/v1/storage/check', AbortSignal.timeout(LIST_TIMEOUT_MS), body);
    return ((await res.json()) as Static<typeof StorageCheckResult>).problems;
  }

  private async get(server: string, path: string, signal: AbortSignal, postBody?: unknown): Promise<Response> {
    const base = this.controller.liveOf(server)?.status.apiUrl;
    if (!base)
      throw new VigilError('SERVER_UNREACHABLE', `server ${server} has not told where it serves playback`, 503);
    let res: Response;
    try {
      const headers: Record<string, string> = { authorization: `Bearer ${this.apiToken.toString()}` };
      if (postBody !== undefined) headers['content-type'] = 'application/json';
      res = await fetch(base + path, {
        headers,
        signal,
        ...(postBody !== undefined && { method: 'POST', body: JSON.stringify(postBody) }),
      });
    } catch (err) {
      throw new VigilError('SERVER_UNREACHABLE', `server ${server} does not answer: ${(err as Error).message}`, 503);
    }
    if (res.ok) return res;
    await res.body?.cancel();
    // The node's 404s (no such segment, camera not live there) are the caller's 404s; the rest is the node's fault.
    if (res.status === 404) throw new VigilError('NOT_FOUND', `server ${server} has no ${path.split('?')[0]}`, 404);
    if (res.status >= 400 && res.status < 500)
      throw new VigilError('NODE_REFUSED', `server ${server} refused ${path.split('?')[0]} (${res.status})`, 502);
    throw new VigilError('SERVER_ERROR', `server ${server} answered ${res.status}`, 502);
  }
}
