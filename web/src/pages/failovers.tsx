import { useEffect, useState } from 'preact/hooks';
import { api, type FailoverView } from '../api/client.ts';
import { useFarm } from '../live/use-farm.ts';
import { dateTime, duration } from '../lib/format.ts';
import { progressText } from '../failovers/copy-text.ts';

function Entry({ f }: { f: FailoverView }) {
  const d = f.detail;
  return (
    <article
      class={`panel entry ${f.status}`}
      id={`failover-${f.id}`}
      data-testid={`failover-${f.id}`}
      data-status={f.status}
    >
      <header class="row">
        <b>#{f.id}</b>
        <span>{f.trigger}</span>
        <span>
          server <b>{f.server}</b> (group {f.group})
        </span>
        <span class={`status ${f.status}`}>{f.status}</span>
        <span class="muted">{dateTime(f.startedAt)}</span>
      </header>
      {d.reporters.length > 0 && <p>reported by {d.reporters.join(', ')}</p>}
      {d.reason && <p class="muted">{d.reason}</p>}
      {d.moves.length > 0 && (
        <p>
          moves:{' '}
          {d.moves.map((m) => (
            <span key={m.camera} class="move">
              {m.camera} {m.from}→{m.to}
              {m.mode && m.mode !== 'record' ? ` (${m.mode})` : ''}{' '}
            </span>
          ))}
        </p>
      )}
      {d.unrecorded.length > 0 && <p class="bad">unrecorded: {d.unrecorded.join(', ')}</p>}
      <ol class="steps">
        {d.steps.map((s, i) => (
          <li key={`${s.step}-${i}`} data-step={s.step}>
            <b>{s.step}</b> +{duration(s.ms)}
            {s.camera ? ` ${s.camera}` : ''}
            {s.server ? ` on ${s.server}` : ''}
          </li>
        ))}
      </ol>
    </article>
  );
}

/** The failover log (live: an entry under way grows step by step) and the copy-back jobs with their progress. */
export function FailoversPage() {
  const { failovers, copybacks, ready } = useFarm();
  const [older, setOlder] = useState<FailoverView[]>([]);
  const [before, setBefore] = useState<number>();
  const [more, setMore] = useState(true);
  useEffect(() => {
    // A link to one entry (/failovers#failover-12) scrolls to it once it is drawn.
    if (location.hash) document.getElementById(location.hash.slice(1))?.scrollIntoView();
  }, [ready]);
  const loadOlder = async () => {
    const oldest = before ?? failovers[0]?.id;
    if (oldest === undefined) return setMore(false);
    const { data, response } = await api.GET('/api/v1/failovers', { params: { query: { before: oldest, limit: 50 } } });
    if (!data) return;
    setOlder((o) => [...data, ...o]);
    const next = response.headers.get('x-vigil-next-before');
    if (next) setBefore(Number(next));
    else setMore(false);
  };
  // Jobs that ended stay in view from their failback entries (the list under way drops them): done at 100 %.
  const running = new Set(copybacks.map((j) => j.id));
  const ended = failovers
    .flatMap((f) => f.detail.copyBack ?? [])
    .filter((j) => !running.has(j.id) && (j.state === 'done' || j.state === 'failed'))
    .slice(-10)
    .map((j) => ({ ...j, progress: j.state === 'done' ? { ...j.progress!, percent: 100 } : j.progress }));
  const jobs = [...copybacks, ...ended.reverse()];
  const live = new Set(failovers.map((f) => f.id));
  const all = [...older.filter((f) => !live.has(f.id)), ...failovers].reverse();
  return (
    <main class="page">
      <h1>Failover log</h1>
      <section id="copybacks">
        <h2>Copy-back</h2>
        {copybacks.length === 0 && <p class="muted">No copy-back under way.</p>}
        {jobs.map((j) => (
          <div
            class="panel copyback"
            key={j.id}
            data-testid={`copyback-${j.id}`}
            data-percent={j.progress?.percent ?? 0}
          >
            <div class="row">
              <b>{j.camera}</b> {j.source} → {j.home} <span class="muted">({j.state})</span>
              <a href={`#failover-${j.logId}`}>#{j.logId}</a>
            </div>
            <div class="bar">
              <div
                class={j.state === 'done' ? 'fill done' : 'fill'}
                style={{ width: `${j.progress?.percent ?? 0}%` }}
              />
            </div>
            <span class="muted">{progressText(j.progress)}</span>
            {j.error && <p class="bad">{j.error}</p>}
          </div>
        ))}
      </section>
      <h2>Entries</h2>
      {!ready && <p class="muted">Loading…</p>}
      {ready && all.length === 0 && <p class="muted">No failover yet.</p>}
      <div class="entries">
        {all.map((f) => (
          <Entry key={f.id} f={f} />
        ))}
      </div>
      {ready && more && all.length >= 50 && (
        <button type="button" onClick={loadOlder}>
          Older entries
        </button>
      )}
    </main>
  );
}
