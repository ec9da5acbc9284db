import { useState } from 'preact/hooks';
import { useFarm } from '../live/use-farm.ts';
import { HlsVideo } from '../camera/hls-video.tsx';

/** Several live views at once (the sub stream where a camera has one), each linked to its camera's page. */
export function CamerasPage() {
  const { cameras, ready } = useFarm();
  const [live, setLive] = useState(true);
  if (!ready) return <main class="page muted">Loading…</main>;
  const sorted = [...cameras].sort((a, b) => a.id.localeCompare(b.id, undefined, { numeric: true }));
  return (
    <main class="page">
      <div class="row">
        <h1>Cameras</h1>
        <label>
          <input type="checkbox" checked={live} onChange={(e) => setLive(e.currentTarget.checked)} /> live views
        </label>
      </div>
      <div class="grid cameras">
        {sorted.map((c) => {
          const server = c.liveRelay ?? c.currentServer;
          const stream = c.streams.length ? 1 : 0;
          return (
            <section key={c.id} class="panel tile">
              {live && (
                <HlsVideo
                  src={`/api/v1/cameras/${encodeURIComponent(c.id)}/live.m3u8?stream=${stream}`}
                  server={server}
                  live
                  testId={`live-${c.id}`}
                />
              )}
              <div class="row">
                <a href={`/cameras/${c.id}`}>
                  <b>{c.id}</b>
                </a>
                <span class={`rec ${c.recording}`} data-testid={`camera-${c.id}`} data-recording={c.recording}>
                  {c.recording}
                </span>
                <span class="muted">on {c.currentServer}</span>
              </div>
            </section>
          );
        })}
      </div>
    </main>
  );
}
