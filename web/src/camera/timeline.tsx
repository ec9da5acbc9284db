import { useEffect, useState } from 'preact/hooks';
import { api, apiError, type TimelineView } from '../api/client.ts';
import { clock, duration } from '../lib/format.ts';
import { colours, instantAt, place } from './timeline-layout.ts';

/**
 * A camera's timeline over [from, to]: recorded spans coloured by the server that holds them (a
 * legend names them), gaps in red, each linked to the failover that explains it. A click plays back
 * from that instant. Read again when `version` changes (the page bumps it on the camera's events).
 */
export function Timeline(props: {
  camera: string;
  from: number;
  to: number;
  version: number;
  onPick: (ms: number) => void;
}) {
  const { camera, from, to, version, onPick } = props;
  const [t, setT] = useState<TimelineView>();
  const [error, setError] = useState<string>();
  useEffect(() => {
    let gone = false;
    api
      .GET('/api/v1/cameras/{id}/timeline', {
        params: { path: { id: camera }, query: { from: String(from), to: String(to) } },
      })
      .then(
        ({ data, error: e, response }) => {
          if (gone) return;
          if (data) {
            setT(data);
            setError(undefined);
          } else setError(apiError(e, response));
        },
        () => undefined,
      );
    return () => {
      gone = true;
    };
  }, [camera, from, to, version]);
  if (error) return <p class="error">{error}</p>;
  if (!t) return <p class="muted">Loading the timeline…</p>;
  const servers = colours(t.recorded.map((r) => r.server));
  const pick = (e: MouseEvent) => {
    const box = (e.currentTarget as HTMLElement).getBoundingClientRect();
    onPick(instantAt((e.clientX - box.left) / box.width, t.from, t.to));
  };
  return (
    <div class="timeline" data-testid="timeline">
      {/* biome-ignore lint/a11y/useKeyWithClickEvents lint/a11y/noStaticElementInteractions: the gaps' links and the range inputs are the keyboard's way */}
      <div class="track" onClick={pick} title="click to play back from there">
        {t.recorded.map((r) => {
          const p = place(r.startMs, r.endMs, t.from, t.to);
          return (
            <div
              key={`${r.server}-${r.startMs}`}
              class="span"
              data-server={r.server}
              style={{ left: `${p.left}%`, width: `${p.width}%`, background: servers.get(r.server) }}
              title={`${r.server}: ${clock(r.startMs)}–${clock(r.endMs)}`}
            />
          );
        })}
        {t.gaps.map((g) => {
          const p = place(g.startMs, g.endMs, t.from, t.to);
          return (
            <div
              key={`gap-${g.startMs}`}
              class="gap"
              data-testid="gap"
              data-failover={g.failover?.id ?? ''}
              style={{ left: `${p.left}%`, width: `${p.width}%` }}
              title={`no footage ${clock(g.startMs)}–${clock(g.endMs)} (${duration(g.ms)})`}
            />
          );
        })}
      </div>
      <div class="row muted axis">
        <span>{clock(t.from)}</span>
        <span>{clock(t.to)}</span>
      </div>
      <div class="row legend">
        {[...servers].map(([s, c]) => (
          <span key={s}>
            <i style={{ background: c }} /> {s}
          </span>
        ))}
        <span>
          <i class="gapkey" /> no footage
        </span>
      </div>
      {t.gaps.length > 0 && (
        <ul class="gaps">
          {t.gaps.map((g) => (
            <li key={g.startMs}>
              {clock(g.startMs)}–{clock(g.endMs)} ({duration(g.ms)}) no footage
              {g.failover ? (
                <>
                  {' '}
                  —{' '}
                  <a href={`/failovers#failover-${g.failover.id}`} data-testid="gap-failover">
                    failover #{g.failover.id} of {g.failover.server} ({g.failover.trigger}, {g.failover.status})
                  </a>
                </>
              ) : (
                <span class="muted"> — no failover explains it</span>
              )}
            </li>
          ))}
        </ul>
      )}
    </div>
  );
}
