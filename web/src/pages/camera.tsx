import { useEffect, useMemo, useState } from 'preact/hooks';
import { useRoute } from 'preact-iso';
import { useFarm } from '../live/use-farm.ts';
import { HlsVideo } from '../camera/hls-video.tsx';
import { Timeline } from '../camera/timeline.tsx';
import { RANGES, toInput } from '../camera/timeline-layout.ts';
import { MoveCamera } from '../failovers/actions.tsx';
import { clock } from '../lib/format.ts';

/** One camera: its live view (following it across failovers), its timeline, playback from any instant, export. */
export function CameraPage() {
  const { params } = useRoute();
  const id = params.id;
  const { cameras, ready } = useFarm();
  const camera = cameras.find((c) => c.id === id);
  const [rangeMs, setRangeMs] = useState(RANGES[0][1]);
  const [end, setEnd] = useState<number>();
  const [from, setFrom] = useState<string>();
  const [to, setTo] = useState<string>();
  const [playFrom, setPlayFrom] = useState<number>();
  const [state, setState] = useState<'playing' | 'waiting'>('waiting');
  // The timeline is read again when the camera's picture changes (a move, a state), at most every 5 s.
  const [version, setVersion] = useState(0);
  const key = camera ? `${camera.currentServer} ${camera.recording} ${camera.liveRelay}` : '';
  useEffect(() => {
    const t = setTimeout(() => setVersion((v) => v + 1), 500);
    return () => clearTimeout(t);
  }, [key]);
  useEffect(() => {
    const t = setInterval(() => setVersion((v) => v + 1), 5000);
    return () => clearInterval(t);
  }, []);
  const range = useMemo(() => {
    const now = end ?? Date.now();
    return { from: now - rangeMs, to: now };
  }, [rangeMs, end, version]);
  if (!ready) return <main class="page muted">Loading…</main>;
  if (!camera)
    return (
      <main class="page">
        <h1>No camera {id}</h1>
        <a href="/cameras">All cameras</a>
      </main>
    );
  const server = camera.liveRelay ?? camera.currentServer;
  const exportHref =
    from && to
      ? `/api/v1/cameras/${encodeURIComponent(id)}/export.mp4?from=${new Date(from).getTime()}&to=${new Date(to).getTime()}`
      : undefined;
  return (
    <main class="page camera-page">
      <h1>
        Camera {id}{' '}
        <span class={`rec ${camera.recording}`} data-testid={`camera-${id}`} data-recording={camera.recording}>
          {camera.recording}
        </span>
      </h1>
      <p class="muted">
        on <b>{camera.currentServer}</b>
        {camera.homeServer !== camera.currentServer && ` (home ${camera.homeServer})`}
        {camera.liveRelay && `, live relayed by ${camera.liveRelay}`}
        {camera.handover && `, moving ${camera.handover.from}→${camera.handover.to}`}
      </p>
      <MoveCamera camera={camera} />
      <div class="viewer">
        {playFrom === undefined ? (
          <>
            <HlsVideo
              src={`/api/v1/cameras/${encodeURIComponent(id)}/live.m3u8`}
              server={server}
              live
              testId={`live-${id}`}
              onState={setState}
            />
            <p class={state === 'playing' ? 'muted' : 'warn'} data-testid="live-state">
              {state === 'playing' ? `live from ${server}` : `waiting for ${server}…`}
            </p>
          </>
        ) : (
          <>
            <HlsVideo
              src={`/api/v1/cameras/${encodeURIComponent(id)}/playback.m3u8?from=${playFrom}&to=${Math.min(Date.now(), playFrom + 3_600_000)}`}
              server="playback"
              live={false}
              testId={`playback-${id}`}
            />
            <p class="row">
              playing back from {clock(playFrom)}
              <button type="button" data-testid="back-to-live" onClick={() => setPlayFrom(undefined)}>
                Back to live
              </button>
            </p>
          </>
        )}
      </div>
      <section>
        <h2>Timeline</h2>
        <div class="row">
          {RANGES.map(([label, ms]) => (
            <button
              key={label}
              type="button"
              class={ms === rangeMs && end === undefined ? 'primary' : ''}
              onClick={() => {
                setRangeMs(ms);
                setEnd(undefined);
              }}
            >
              {label}
            </button>
          ))}
          <label>
            ending{' '}
            <input
              type="datetime-local"
              step={1}
              value={toInput(range.to)}
              onChange={(e) => setEnd(new Date(e.currentTarget.value).getTime())}
            />
          </label>
        </div>
        <Timeline camera={id} from={range.from} to={range.to} version={version} onPick={setPlayFrom} />
      </section>
      <section>
        <h2>Export to MP4</h2>
        <div class="row">
          <label>
            from <input type="datetime-local" step={1} value={from} onChange={(e) => setFrom(e.currentTarget.value)} />
          </label>
          <label>
            to <input type="datetime-local" step={1} value={to} onChange={(e) => setTo(e.currentTarget.value)} />
          </label>
          {exportHref ? (
            <a class="button" href={exportHref} download={`${id}.mp4`} data-testid="export">
              Download MP4
            </a>
          ) : (
            <span class="muted">choose a range (at most an hour)</span>
          )}
        </div>
      </section>
    </main>
  );
}
