/**
 * RTSP 1.0 messages as the camera simulator speaks them: request heads parsed, replies written,
 * URLs mapped to stream paths and the SDP given per-track controls. No I/O.
 */

/** One RTSP request: its method, URI and headers (names in lower case). */
export interface RtspRequest {
  method: string;
  uri: string;
  headers: Map<string, string>;
}

/** What the server answers to a request. */
export interface RtspReply {
  status: number;
  headers?: Record<string, string>;
  body?: string;
  /** Runs right after the reply is written, so the reply reaches the client before any media. */
  afterSend?: () => void;
}

/** Reason phrases of the status codes the server uses. */
const REASONS: Record<number, string> = {
  200: 'OK',
  400: 'Bad Request',
  404: 'Not Found',
  454: 'Session Not Found',
  455: 'Method Not Valid in This State',
  461: 'Unsupported Transport',
  501: 'Not Implemented',
  503: 'Service Unavailable',
};

/**
 * The bytes of a reply: status line, CSeq (when the request had one), the server's name, the
 * session (when given) with its timeout, the reply's headers and body with its length.
 */
export function formatReply(
  r: Pick<RtspReply, 'status' | 'headers' | 'body'>,
  cseq: string | undefined,
  session: string | undefined,
  sessionTimeoutS: number,
): string {
  const lines = [`RTSP/1.0 ${r.status} ${REASONS[r.status] ?? 'Error'}`];
  if (cseq !== undefined) lines.push(`CSeq: ${cseq}`);
  lines.push('Server: vigil-sim');
  if (session) lines.push(`Session: ${session};timeout=${sessionTimeoutS}`);
  for (const [k, v] of Object.entries(r.headers ?? {})) lines.push(`${k}: ${v}`);
  if (r.body !== undefined) lines.push(`Content-Length: ${Buffer.byteLength(r.body)}`);
  return `${lines.join('\r\n')}\r\n\r\n${r.body ?? ''}`;
}

/**
 * The SDP with `a=control:trackID=<n>` closing each media section (n counting from 0), for SETUP to
 * name the track; any control lines already there are dropped.
 */
export function withTrackControls(sdp: string): string {
  const out: string[] = [];
  let track = 0;
  for (const line of sdp.split(/\r?\n/)) {
    if (line === '' || line.startsWith('a=control:')) continue;
    if (line.startsWith('m=') && out.some((l) => l.startsWith('m='))) out.push(`a=control:trackID=${track++}`);
    out.push(line);
  }
  if (out.some((l) => l.startsWith('m='))) out.push(`a=control:trackID=${track}`);
  return `${out.join('\r\n')}\r\n`;
}

/** How many media sections (tracks) a session description has. */
export function mediaCount(sdp: string): number {
  return sdp.split(/\r?\n/).filter((l) => l.startsWith('m=')).length;
}

/** Parses `METHOD uri RTSP/1.0` and the header lines; undefined if it is not RTSP. */
export function parseHead(head: string): RtspRequest | undefined {
  const [first, ...rest] = head.split(/\r\n/);
  const m = /^([A-Z_]+) (\S+) RTSP\/1\.0$/.exec(first ?? '');
  if (!m) return undefined;
  const headers = new Map<string, string>();
  for (const line of rest) {
    const colon = line.indexOf(':');
    if (colon <= 0) return undefined;
    headers.set(line.slice(0, colon).trim().toLowerCase(), line.slice(colon + 1).trim());
  }
  return { method: m[1], uri: m[2], headers };
}

/** The request URI as a URL, if it is an rtsp: one. */
export function parseUrl(uri: string): URL | undefined {
  try {
    const url = new URL(uri);
    return url.protocol === 'rtsp:' ? url : undefined;
  } catch {
    return undefined;
  }
}

/** The stream path of a request URL: decoded, without surrounding slashes. */
export function pathOf(url: URL): string {
  try {
    return trimSlashes(decodeURIComponent(url.pathname));
  } catch {
    return trimSlashes(url.pathname); // a bad %-escape: cannot match a real path anyway
  }
}

/** The path without leading or trailing slashes. */
export function trimSlashes(path: string): string {
  return path.replace(/^\/+|\/+$/g, '');
}
