/** What replaces a hidden password (or a whole userinfo without one). */
export const REDACTED = '***';

/** Where a URL's scheme ends: `rtsp://`, `http://`, `git+ssh://`… */
const SCHEME = /[a-z][a-z0-9+.-]*:\/\//gi;
/** The same, to find where the next URL begins (a regex of its own: SCHEME's position is the scan's). */
const NEXT_SCHEME = /[a-z][a-z0-9+.-]*:\/\//gi;

/**
 * The parts of a URL's userinfo inside `text`, with `from` the index just after `scheme://`:
 * the userinfo ends at the LAST '@' of the authority, as ffmpeg (av_url_split) and the WHATWG URL
 * parser read it, so `rtsp://admin:p@ss@host/x` has the password `p@ss`. The authority ends at
 * the first '/', '?', '#', line break or the next `scheme://` (spaces do not end it: a password
 * may hold one, and a free text that reads on is only over-redacted). Undefined without userinfo.
 */
function userinfoAt(text: string, from: number): { end: number; colon: number } | undefined {
  let stop = text.length;
  for (let i = from; i < text.length; i++) {
    const ch = text[i];
    if (ch === '/' || ch === '?' || ch === '#' || ch === '\n' || ch === '\r') {
      stop = i;
      break;
    }
  }
  NEXT_SCHEME.lastIndex = from;
  const next = NEXT_SCHEME.exec(text);
  if (next && next.index < stop) stop = next.index;
  const at = text.lastIndexOf('@', stop - 1);
  if (at < from) return undefined;
  const colon = text.indexOf(':', from);
  return { end: at, colon: colon !== -1 && colon < at ? colon : -1 };
}

/**
 * Hides the password of every URL in a text (a URL alone, a log line, an error message), so camera
 * credentials never reach a log or an API answer: `rtsp://admin:p@ss@host/x` becomes
 * `rtsp://admin:***@host/x`; a userinfo without a password is hidden whole (it may be a token).
 */
export function redactCredentials(text: string): string {
  let out = '';
  let done = 0;
  SCHEME.lastIndex = 0;
  for (let m = SCHEME.exec(text); m; m = SCHEME.exec(text)) {
    const from = m.index + m[0].length;
    const info = userinfoAt(text, from);
    if (!info) {
      SCHEME.lastIndex = from;
      continue;
    }
    out += text.slice(done, from) + (info.colon === -1 ? REDACTED : `${text.slice(from, info.colon)}:${REDACTED}`);
    done = info.end;
    // Go on after the '@': a later URL in the same text is scanned too.
    SCHEME.lastIndex = info.end;
  }
  return out + text.slice(done);
}

/**
 * Where the password of a URL (the whole of `url`) lies, read as redactCredentials reads it:
 * `[start, end)`, or undefined when it has none (no userinfo, or a user without ':').
 */
export function passwordSpan(url: string): { start: number; end: number } | undefined {
  const scheme = /^[a-z][a-z0-9+.-]*:\/\//i.exec(url);
  if (!scheme) return undefined;
  const info = userinfoAt(url, scheme[0].length);
  if (!info || info.colon === -1) return undefined;
  return { start: info.colon + 1, end: info.end };
}
