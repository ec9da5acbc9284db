import type { ServerTimeouts } from '../lib/http/server-limits.ts';

// The bounds of the master's API, in one place: what a client may ask at once, and how much.

const KiB = 1024;
const MiB = 1024 * KiB;
const HOUR = 3_600_000;
const DAY = 24 * HOUR;

/** The bounds an operator may set (`vigil master --max-exports …`); the rest are fixed below. */
export interface ApiLimits {
  /** Service channel streams (GET /api/v1/events) open in all: each holds a connection and a subscriber. */
  eventStreamsTotal: number;
  /** MP4 exports in flight per user (or per address without one). */
  exportsPerActor: number;
  /** MP4 exports in flight in all: each one copies up to an hour of footage twice into the temp folder. */
  exportsTotal: number;
  /** Assignment long polls waiting in all (one per server: a server's second poll ends its first). */
  longPollsTotal: number;
}

/** The default bounds: a few exports (they are disk- and CPU-heavy), far more long polls than any farm has servers. */
export const DEFAULT_API_LIMITS: ApiLimits = {
  exportsPerActor: 2,
  exportsTotal: 4,
  longPollsTotal: 2000,
  eventStreamsTotal: 200,
};

/** How long a long poll of the assignment waits for a change before it answers with what it has. */
export const LONG_POLL_MS = 20_000;

/**
 * The master API's timeouts. A request (headers and body, an 8 MiB configuration included) must
 * arrive within 15 s, its headers within 10 s; a connection may stay silent 30 s, more than a long
 * poll's 20 s wait (an export, silent while its MP4 is built, raises its own connection's); idle
 * kept-alive connections close after 10 s.
 */
export const MASTER_TIMEOUTS: ServerTimeouts = {
  requestMs: 15_000,
  headersMs: 10_000,
  idleMs: LONG_POLL_MS + 10_000,
  keepAliveMs: 10_000,
  checkEveryMs: 1000,
};

/** Longest timeline: a month of intervals is a few thousand rows even with many holes. */
export const MAX_TIMELINE_MS = 31 * DAY;
/** Longest playlist: a day of 1 s segments is ~86 400 entries, a few MB. */
export const MAX_PLAYBACK_MS = DAY;
/** Longest export: one MP4 is built in a temp file before it is sent. */
export const MAX_EXPORT_MS = HOUR;

/**
 * Request bodies, per route (Fastify's bodyLimit): an action or a login is a few fields; a node's
 * status holds at most 1000 segments, its cameras and copy-back jobs; a farm configuration of
 * thousands of cameras stays well under 8 MiB. Any other route (GETs have no body) gets `other`.
 */
export const BODY_LIMITS = {
  action: 4 * KiB,
  login: 4 * KiB,
  status: MiB,
  config: 8 * MiB,
  other: 64 * KiB,
} as const;

/** Pages of the failover log and the audit log: `limit` entries by default, `maxLimit` at most. */
export const PAGE = { limit: 100, maxLimit: 1000 } as const;
