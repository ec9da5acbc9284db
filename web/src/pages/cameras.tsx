import { useFarm } from '../live/use-farm.ts';

/** The cameras' grid (the cameras helper's page; this is the scaffold's placeholder). */
export function CamerasPage() {
  const { cameras } = useFarm();
  return (
    <main class="page">
      <h1>Cameras</h1>
      <ul>
        {cameras.map((c) => (
          <li key={c.id} data-testid={`camera-${c.id}`} data-recording={c.recording}>
            <a href={`/cameras/${c.id}`}>{c.id}</a> on {c.currentServer}: {c.recording}
          </li>
        ))}
      </ul>
    </main>
  );
}
