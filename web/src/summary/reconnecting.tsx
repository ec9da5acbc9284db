import { useFarm } from '../live/use-farm.ts';

/** A banner while the service channel is down: the page catches up by itself once it is back. */
export function Reconnecting() {
  const { connection } = useFarm();
  if (connection !== 'reconnecting') return null;
  return (
    <div class="banner bad" data-testid="reconnecting" role="alert">
      Connection to the master lost — reconnecting…
    </div>
  );
}
