import type { Readable } from 'node:stream';
import { errText } from '../lib/errors.ts';
import type { ErrorBody } from '../protocol/error-body.ts';
import { readText } from './keep-alive-http.ts';

/** A recording server answered a NodeApi call with an error status; `code` is its error code, when it gave one. */
export class NodeHttpError extends Error {
  constructor(
    readonly status: number,
    /** The node's error code (e.g. NOT_FOUND, CHECKSUM_MISMATCH), from its error answer. */
    readonly code: string | undefined,
    /** What the node said: its error message, else the start of its answer. */
    readonly detail: string,
    what: string,
  ) {
    super(`${what}: HTTP ${status}${detail ? ` ${code ? `${code} ` : ''}${detail}` : ''}`);
    this.name = 'NodeHttpError';
  }

  /** Worth trying again: the node busy or failing for now (5xx, 429). */
  get passing(): boolean {
    return this.status >= 500 || this.status === 429;
  }
}

/** No answer came from a recording server (the network, the server down, a timeout): worth trying again later. */
export class NodeUnreachableError extends Error {
  constructor(what: string, cause: unknown) {
    super(`${what}: ${errText(cause)}`, { cause });
    this.name = 'NodeUnreachableError';
  }
}

/** Reads an error answer into a NodeHttpError: the code and message of the node's error body, else its text. */
export async function nodeHttpError(status: number, body: Readable, what: string): Promise<NodeHttpError> {
  const text = await readText(body).catch(() => '');
  try {
    const e = (JSON.parse(text) as Partial<ErrorBody>).error;
    if (e?.message) return new NodeHttpError(status, e.code, e.message, what);
  } catch {
    // not JSON: the text as is
  }
  return new NodeHttpError(status, undefined, text.slice(0, 500), what);
}
