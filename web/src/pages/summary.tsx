import { useFarm } from '../live/use-farm.ts';

/** The farm summary (the summary helper's page; this is the scaffold's placeholder). */
export function SummaryPage() {
  const { servers, ready } = useFarm();
  if (!ready) return <main class="page muted">Loading the farm…</main>;
  return (
    <main class="page">
      <h1>Farm summary</h1>
      <ul>
        {servers.map((s) => (
          <li key={s.id} data-testid={`server-${s.id}`} data-state={s.state}>
            {s.id}: {s.state}
          </li>
        ))}
      </ul>
    </main>
  );
}
