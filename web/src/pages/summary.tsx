import type { CameraView, ServerView } from '../api/client.ts';
import { useFarm } from '../live/use-farm.ts';
import { ServerActions } from '../failovers/actions.tsx';
import { bytes, clock } from '../lib/format.ts';
import { byGroup, cameraTotals } from '../summary/totals.ts';

const KIND: Record<string, string> = {
  active: 'active',
  redundant: 'redundant',
  failover: 'failover server',
  'hot-standby': 'hot standby',
};

function roleOf(s: ServerView): string {
  let r = KIND[s.kind] ?? s.kind;
  if (s.kind === 'failover' && s.failoverTier) r += ` (${s.failoverTier})`;
  if (s.kind === 'hot-standby' && s.standbyFor) r += ` of ${s.standbyFor}`;
  if (s.recordsFor.length) r += ` · recording for ${s.recordsFor.join(', ')}`;
  return r;
}

function Disk({ s }: { s: ServerView }) {
  const d = s.disk;
  if (!d) return <span class="muted">storage: no status yet</span>;
  const used = d.totalBytes && d.freeBytes !== null ? 1 - d.freeBytes / d.totalBytes : null;
  return (
    <div class="disk" title={`${d.paths} storage path(s)`}>
      <span class={d.failedPaths ? 'bad' : ''}>
        {d.failedPaths
          ? `${d.failedPaths} of ${d.paths} paths failed`
          : `${d.paths} path${d.paths > 1 ? 's' : ''} healthy`}
      </span>
      {used !== null && (
        <>
          <div class="bar">
            <div class={used > 0.9 ? 'fill bad' : 'fill'} style={{ width: `${Math.round(used * 100)}%` }} />
          </div>
          <span class="muted">{bytes(d.freeBytes)} free</span>
        </>
      )}
    </div>
  );
}

function ServerCard({ s, cameras }: { s: ServerView; cameras: CameraView[] }) {
  const mine = cameras.filter((c) => c.currentServer === s.id);
  return (
    <section class={`panel server ${s.health}`} data-testid={`server-${s.id}`} data-state={s.health} data-role={s.kind}>
      <header class="row">
        <b class="name">{s.id}</b>
        <span class={`state ${s.health}`}>{s.health}</span>
        <span class="muted">{roleOf(s)}</span>
      </header>
      {s.health === 'suspect' && s.reportedBy.length > 0 && (
        <p class="warn">reported possibly down by {s.reportedBy.join(', ')}</p>
      )}
      {s.health === 'down' && s.downSince && <p class="bad">down since {clock(s.downSince)}</p>}
      {s.recordingFailed && <p class="bad">recording cannot start</p>}
      {s.failingCameras.length > 0 && <p class="warn">not recording: {s.failingCameras.join(', ')}</p>}
      {s.clock?.warning && <p class="warn">{s.clock.warning}</p>}
      <ul class="cams">
        {mine.map((c) => (
          <li key={c.id}>
            <a href={`/cameras/${c.id}`}>{c.id}</a>{' '}
            <span class={`rec ${c.recording}`} data-testid={`camera-${c.id}`} data-recording={c.recording}>
              {c.recording}
            </span>
            {c.homeServer !== s.id && <span class="muted"> (home {c.homeServer})</span>}
          </li>
        ))}
        {!mine.length && <li class="muted">no cameras</li>}
      </ul>
      <Disk s={s} />
      <ServerActions server={s} />
    </section>
  );
}

/** The farm summary: totals, then the redundancy groups and their servers, live from the service channel. */
export function SummaryPage() {
  const { servers, cameras, master, ready } = useFarm();
  if (!ready) return <main class="page muted">Loading the farm…</main>;
  const t = cameraTotals(cameras);
  const unrecordedHome = cameras.filter((c) => c.recording === 'unrecorded');
  return (
    <main class="page">
      <h1>Farm summary</h1>
      <div class="totals" data-testid="totals">
        <span>
          <b>{t.cameras}</b> cameras
        </span>
        <span class="ok">
          <b>{t.recording}</b> recording
        </span>
        <span class={t.unrecorded ? 'bad' : 'muted'}>
          <b>{t.unrecorded}</b> unrecorded
        </span>
        <span class={t.offline ? 'warn' : 'muted'}>
          <b>{t.offline}</b> offline
        </span>
        <span class="muted">{servers.length} recording servers</span>
      </div>
      <ul class="masters">
        {master && (
          <li>
            <b data-testid="master-server">{master.id}</b> — master{master.leader ? ', leading' : ''} ({master.url},
            term {master.term}, store {master.store}, Vigil {master.version})
          </li>
        )}
      </ul>
      {unrecordedHome.length > 0 && (
        <p class="bad">Unrecorded now: {unrecordedHome.map((c) => `${c.id} (on ${c.currentServer})`).join(', ')}</p>
      )}
      {byGroup(servers).map(([group, members]) => (
        <section key={group} class="group" data-testid={`group-${group}`}>
          <h2>Redundancy group {group}</h2>
          <div class="grid">
            {members.map((s) => (
              <ServerCard key={s.id} s={s} cameras={cameras} />
            ))}
          </div>
        </section>
      ))}
    </main>
  );
}
