import { useFarm } from '../live/use-farm.ts';

/** The failover log (the failovers helper's page; this is the scaffold's placeholder). */
export function FailoversPage() {
  const { failovers } = useFarm();
  return (
    <main class="page">
      <h1>Failover log</h1>
      <ul>
        {[...failovers].reverse().map((f) => (
          <li key={f.id} data-testid={`failover-${f.id}`} data-status={f.status}>
            #{f.id} {f.trigger} {f.server}: {f.status}
          </li>
        ))}
      </ul>
    </main>
  );
}
