import { useEffect, useState } from 'preact/hooks';
import { api, type MasterInfo } from './api/client.ts';
import { LocationProvider, Router, Route } from 'preact-iso';
import { useFarm, farmChannel } from './live/use-farm.ts';
import { masterLabel } from './live/master-label.ts';
import { atLeast, logout, refreshMe, useMe, type Role } from './session/session.ts';
import { LoginPage } from './session/login-page.tsx';
import { CopyBackBar } from './failovers/copyback-bar.tsx';
import { Reconnecting } from './summary/reconnecting.tsx';
import { SummaryPage } from './pages/summary.tsx';
import { CamerasPage } from './pages/cameras.tsx';
import { CameraPage } from './pages/camera.tsx';
import { FailoversPage } from './pages/failovers.tsx';
import { AdminPage } from './pages/admin.tsx';

const NAV: { href: string; label: string; role: Role }[] = [
  { href: '/', label: 'Summary', role: 'viewer' },
  { href: '/cameras', label: 'Cameras', role: 'viewer' },
  { href: '/failovers', label: 'Failovers', role: 'viewer' },
  { href: '/admin', label: 'Admin', role: 'admin' },
];

function TopBar() {
  const me = useMe();
  const farm = useFarm();
  // Asked once at start, so the header names the master before the service channel's snapshot
  // arrives; the channel's own (a new master, a change of lead) wins after.
  const [asked, setAsked] = useState<MasterInfo>();
  useEffect(() => {
    api.GET('/api/v1/master').then(
      ({ data }) => data && setAsked(data),
      () => undefined,
    );
  }, []);
  const master = farm.master ?? asked;
  return (
    <header class="topbar">
      <a class="brand" href="/">
        Vigil
      </a>
      {master && (
        <span
          class="master"
          data-testid="master"
          title={`${master.url} · Vigil ${master.version}${master.leader || !master.leaderUrl ? '' : ` · leader at ${master.leaderUrl}`}`}
        >
          master {masterLabel(master)}
        </span>
      )}
      <nav>
        {NAV.filter((n) => atLeast(me?.role, n.role)).map((n) => (
          <a key={n.href} href={n.href}>
            {n.label}
          </a>
        ))}
      </nav>
      <span class="who">
        {me?.user} <span class="muted">({me?.role})</span>
        <button type="button" class="link" data-testid="logout" onClick={() => logout()}>
          Log out
        </button>
      </span>
    </header>
  );
}

function NotFound() {
  return (
    <main class="page">
      <h1>Not found</h1>
      <p>
        <a href="/">Back to the summary</a>
      </p>
    </main>
  );
}

/** The console: the login until someone is logged in, then the shell (top bar, bars, pages) on the service channel. */
export function App() {
  const me = useMe();
  useEffect(() => {
    void refreshMe();
  }, []);
  useEffect(() => {
    if (me) farmChannel.open();
    else farmChannel.close();
  }, [me?.user]);
  if (me === undefined) return <main class="page muted">Loading…</main>;
  if (me === null) return <LoginPage />;
  return (
    <LocationProvider>
      <TopBar />
      <CopyBackBar />
      <Reconnecting />
      <Router>
        <Route path="/" component={SummaryPage} />
        <Route path="/cameras" component={CamerasPage} />
        <Route path="/cameras/:id" component={CameraPage} />
        <Route path="/failovers" component={FailoversPage} />
        <Route path="/admin" component={AdminPage} />
        <Route default component={NotFound} />
      </Router>
    </LocationProvider>
  );
}
