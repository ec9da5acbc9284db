import { Type, type Static } from '@sinclair/typebox';

// A recording server's API (NodeApi), as the master's playback relay, the master's storage check and
// another server's copy-back call it: routes, request and answer schemas, and the URL of each call
// with the parser of the URLs a node writes into its answers (live playlists).

const PREFIX = '/node/v1';

/** How every client reaches a node's API: always https (mutual TLS with the farm's certificates). */
export const NODE_API_SCHEME = 'https';

/**
 * The base URL of a recording server's API: the server's host from the farm configuration and the
 * port its status reported (or, on the node itself, the port it serves on). The one place that makes
 * a node's address, so that the master only ever calls configured servers. Pure.
 */
export function nodeApiUrl(host: string, port: number): string {
  if (!Number.isInteger(port) || port < 1 || port > 65535) throw new Error(`not a port: ${port}`);
  // An IPv6 literal goes in brackets; a name or an IPv4 address as it is.
  return `${NODE_API_SCHEME}://${host.includes(':') ? `[${host}]` : host}:${port}`;
}

/** The node API's routes, as the node registers them. */
export const NODE_ROUTES = {
  segments: `${PREFIX}/segments`,
  segment: `${PREFIX}/segments/:id`,
  release: `${PREFIX}/segments/:id/release`,
  copyList: `${PREFIX}/copy-list`,
  storageCheck: `${PREFIX}/storage/check`,
  live: `${PREFIX}/cameras/:id/live.m3u8`,
  buffer: `${PREFIX}/buffer/:camera/:stream/:start`,
  /** The server's signed segment chain over a range (answer: NodeChain in chain-link.ts). Master only. */
  chain: `${PREFIX}/chain`,
  files: `${PREFIX}/files`,
  indexDigest: `${PREFIX}/index-digest`,
} as const;

/** The widest listing a node answers: a day and an hour, so one request cannot make it read its whole index. */
export const MAX_LIST_MS = 25 * 3_600_000;

const StreamIndex = Type.Integer({ minimum: 0, maximum: 99, default: 0 });

/** A camera stream over a time range [from, to) in epoch ms: what both listings take. */
export const RangeQuery = Type.Object({
  camera: Type.String({ minLength: 1, maxLength: 200 }),
  from: Type.Integer({ minimum: 0 }),
  to: Type.Integer({ minimum: 0 }),
  stream: Type.Optional(StreamIndex),
});
/** A camera stream over a time range. */
export type RangeQuery = Static<typeof RangeQuery>;

/** A segment as the node lists it to the master: no storage path, which is the node's business. */
export const NodeSegment = Type.Object({
  id: Type.Integer(),
  startMs: Type.Number(),
  endMs: Type.Number(),
  bytes: Type.Integer(),
  sha256: Type.Optional(
    Type.String({ description: 'SHA-256 (hex) of the bytes as committed, where the index has it' }),
  ),
  recordedBy: Type.Optional(Type.String({ description: 'a copy brought home: the server that recorded it' })),
});
/** Answer of GET /node/v1/segments. */
export const NodeSegmentList = Type.Object({ camera: Type.String(), segments: Type.Array(NodeSegment) });
/** Answer of GET /node/v1/segments. */
export type NodeSegmentList = Static<typeof NodeSegmentList>;

/**
 * A segment as listed for copy-back: its size is the file's on disk at listing time. No checksum:
 * hashing a whole listing would hold up the first download; the download brings it (Repr-Digest).
 */
export const NodeCopySegment = Type.Object({
  id: Type.Integer(),
  startMs: Type.Number(),
  endMs: Type.Number(),
  bytes: Type.Integer(),
});
/** A segment as listed for copy-back. */
export type NodeCopySegment = Static<typeof NodeCopySegment>;
/** Answer of GET /node/v1/copy-list. */
export const NodeCopyList = Type.Object({ camera: Type.String(), segments: Type.Array(NodeCopySegment) });
/** Answer of GET /node/v1/copy-list. */
export type NodeCopyList = Static<typeof NodeCopyList>;

/** Body of POST /node/v1/storage/check: paths this server would record to, and the free-space bounds. */
export const StorageCheck = Type.Object({
  paths: Type.Array(Type.String({ minLength: 1, maxLength: 4096, pattern: '^/' }), { minItems: 1, maxItems: 1000 }),
  minFreeBytes: Type.Optional(Type.Integer({ minimum: 0 })),
  minFreePercent: Type.Optional(Type.Number({ minimum: 0, maximum: 100 })),
});
/** Body of POST /node/v1/storage/check. */
export type StorageCheck = Static<typeof StorageCheck>;
/** Answer of POST /node/v1/storage/check: one line per problem, none when every path takes writes. */
export const StorageCheckResult = Type.Object({ problems: Type.Array(Type.String()) });
/** Answer of POST /node/v1/storage/check. */
export type StorageCheckResult = Static<typeof StorageCheckResult>;

const Sha256Hex = Type.String({ pattern: '^[0-9a-fA-F]{64}$' });
/** Body of POST /node/v1/segments/:id/release: the checksum the caller verified its copy against. */
export const ReleaseRequest = Type.Object({ sha256: Sha256Hex });
/** Body of POST /node/v1/segments/:id/release. */
export type ReleaseRequest = Static<typeof ReleaseRequest>;
/** Answer of POST /node/v1/segments/:id/release: false when there was nothing (left) to release. */
export const ReleaseResult = Type.Object({ released: Type.Boolean() });
/** Answer of POST /node/v1/segments/:id/release. */
export type ReleaseResult = Static<typeof ReleaseResult>;

/** Params of GET /node/v1/segments/:id: digits only, the id is all a request can say about which file it wants. */
export const SegmentParams = Type.Object({ id: Type.String({ pattern: '^[0-9]{1,15}(\\.ts)?$' }) });
/** Params of POST /node/v1/segments/:id/release. */
export const ReleaseParams = Type.Object({ id: Type.String({ pattern: '^[0-9]{1,15}$' }) });
/** Params and query of GET /node/v1/cameras/:id/live.m3u8. */
export const LiveParams = Type.Object({ id: Type.String({ minLength: 1, maxLength: 200 }) });
/** Query of GET /node/v1/cameras/:id/live.m3u8. */
export const LiveQuery = Type.Object({ stream: Type.Optional(StreamIndex) });
/** Params of GET /node/v1/buffer/:camera/:stream/:start. */
export const BufferParams = Type.Object({
  camera: Type.String({ minLength: 1, maxLength: 200 }),
  stream: Type.String({ pattern: '^[0-9]{1,2}$' }),
  start: Type.String({ pattern: '^[0-9]{1,15}\\.ts$', description: '<start epoch ms>.ts' }),
});

/** The widest file listing a node answers: each file listed is read in full to hash it. */
export const MAX_FILES_MS = 3_600_000;

/**
 * A camera stream's file as a node finds it on its disks now (GET /node/v1/files): its size and
 * SHA-256 read from the bytes, not from the index. An indexed segment whose file is on no path
 * comes as `missing`; a file no index row names comes with `indexed: false` (and no end time).
 */
export const NodeFile = Type.Object({
  name: Type.String({ description: 'the file in the storage layout, relative to its storage path' }),
  startMs: Type.Number(),
  endMs: Type.Optional(Type.Number()),
  recordedBy: Type.Optional(Type.String({ description: 'a copy brought home: the server that recorded it' })),
  indexed: Type.Boolean(),
  /** Indexed, not yet reported to the master: not a difference yet. */
  pending: Type.Optional(Type.Boolean()),
  missing: Type.Optional(Type.Boolean()),
  bytes: Type.Optional(Type.Integer()),
  sha256: Type.Optional(Type.String()),
});
/** A file as a node lists it for verify. */
export type NodeFile = Static<typeof NodeFile>;
/** Answer of GET /node/v1/files. */
export const NodeFileList = Type.Object({ camera: Type.String(), stream: Type.Integer(), files: Type.Array(NodeFile) });
/** Answer of GET /node/v1/files. */
export type NodeFileList = Static<typeof NodeFileList>;

/** Query of GET /node/v1/index-digest: a time range of segment starts [from, to), at most MAX_LIST_MS. */
export const DigestQuery = Type.Object({ from: Type.Integer({ minimum: 0 }), to: Type.Integer({ minimum: 0 }) });
/** Query of GET /node/v1/index-digest. */
export type DigestQuery = Static<typeof DigestQuery>;
/** Answer of GET /node/v1/index-digest: the node index's segments by camera stream and hour (index-digest.ts). */
export const IndexDigest = Type.Object({
  hours: Type.Array(
    Type.Object({
      camera: Type.String(),
      stream: Type.Integer(),
      hourMs: Type.Number(),
      count: Type.Integer(),
      digest: Type.String(),
    }),
  ),
});
/** Answer of GET /node/v1/index-digest. */
export type IndexDigest = Static<typeof IndexDigest>;

/** GET: the digest of a node's index by camera stream and hour over a range of starts (reconcile). */
export function nodeIndexDigestPath(q: DigestQuery): string {
  return `${NODE_ROUTES.indexDigest}?${new URLSearchParams({ from: String(q.from), to: String(q.to) })}`;
}

const rangeQuery = (q: RangeQuery) =>
  new URLSearchParams({ camera: q.camera, from: String(q.from), to: String(q.to), stream: String(q.stream ?? 0) });

/** GET: the segments a node holds of a camera stream over a range. */
export function nodeSegmentsPath(q: RangeQuery): string {
  return `${NODE_ROUTES.segments}?${rangeQuery(q)}`;
}

/** GET: a node's signed chain links of a camera stream over a range. */
export function nodeChainPath(q: RangeQuery): string {
  return `${NODE_ROUTES.chain}?${rangeQuery(q)}`;
}

/** GET: a camera stream's files on a node's disks over a range, hashed now (verify). */
export function nodeFilesPath(q: RangeQuery): string {
  return `${NODE_ROUTES.files}?${rangeQuery(q)}`;
}

/** GET: the segments a node holds of a camera stream over a range, with their sizes on disk, for copy-back. */
export function nodeCopyListPath(q: RangeQuery): string {
  return `${NODE_ROUTES.copyList}?${rangeQuery(q)}`;
}

/** Where a node serves a segment by id: the live playlist's URIs, which the master rewrites to its own. */
export function nodeSegmentPath(id: number): string {
  return `${NODE_ROUTES.segments}/${id}.ts`;
}

/** GET: a segment by its bare id (the same route as nodeSegmentPath): how copy-back asks for one. */
export function nodeSegmentIdPath(id: number): string {
  return `${NODE_ROUTES.segments}/${id}`;
}

/** POST: has a node delete its copy of a segment, once the caller holds a verified one. */
export function nodeReleasePath(id: number): string {
  return `${NODE_ROUTES.segments}/${id}/release`;
}

/** GET: a node's live HLS playlist of a camera stream. */
export function nodeLivePath(camera: string, stream: number): string {
  return `${PREFIX}/cameras/${encodeURIComponent(camera)}/live.m3u8?stream=${stream}`;
}

/** Where a node serves a pre-buffered (never indexed) segment, named by its start: a live relay's playlist URIs. */
export function nodeBufferPath(camera: string, stream: number, startMs: number): string {
  return `${PREFIX}/buffer/${encodeURIComponent(camera)}/${stream}/${startMs}.ts`;
}

const SEGMENT_PATH = /^\/node\/v1\/segments\/(\d{1,15})\.ts$/;
const BUFFER_PATH = /^\/node\/v1\/buffer\/([^/\s]+)\/(\d{1,2})\/(\d{1,15})\.ts$/;

/** The segment id of a path nodeSegmentPath made, else undefined. Pure. */
export function parseNodeSegmentPath(path: string): { id: number } | undefined {
  const m = SEGMENT_PATH.exec(path);
  return m ? { id: Number(m[1]) } : undefined;
}

/** The camera stream and start of a path nodeBufferPath made, else undefined. Pure. */
export function parseNodeBufferPath(path: string): { camera: string; stream: number; startMs: number } | undefined {
  const m = BUFFER_PATH.exec(path);
  if (!m) return undefined;
  let camera: string;
  try {
    camera = decodeURIComponent(m[1]);
  } catch {
    return undefined; // not a path a node wrote
  }
  return { camera, stream: Number(m[2]), startMs: Number(m[3]) };
}
