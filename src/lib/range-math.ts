/** A half-open time range [startMs, endMs) in epoch ms. */
export interface Span {
  startMs: number;
  endMs: number;
}

/** The union of spans, sorted and merged where they touch or overlap. Pure. */
export function union(spans: readonly Span[]): Span[] {
  const sorted = [...spans].filter((s) => s.endMs > s.startMs).sort((a, b) => a.startMs - b.startMs);
  const out: Span[] = [];
  for (const s of sorted) {
    const last = out.at(-1);
    if (last && s.startMs <= last.endMs) last.endMs = Math.max(last.endMs, s.endMs);
    else out.push({ startMs: s.startMs, endMs: s.endMs });
  }
  return out;
}

/** What is left of `span` once every one of `cuts` is taken out of it, in time order. Pure. */
export function subtract(span: Span, cuts: readonly Span[]): Span[] {
  const out: Span[] = [];
  let from = span.startMs;
  for (const c of union(cuts)) {
    if (c.endMs <= from || c.startMs >= span.endMs) continue;
    if (c.startMs > from) out.push({ startMs: from, endMs: c.startMs });
    from = Math.max(from, c.endMs);
  }
  if (from < span.endMs) out.push({ startMs: from, endMs: span.endMs });
  return out;
}

/** The parts of `span` no span of `cover` covers, ignoring holes no longer than `toleranceMs`. Pure. */
export function uncovered(span: Span, cover: readonly Span[], toleranceMs = 0): Span[] {
  return subtract(span, cover).filter((s) => s.endMs - s.startMs > toleranceMs);
}
