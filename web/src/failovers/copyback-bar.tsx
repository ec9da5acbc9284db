import { useFarm } from '../live/use-farm.ts';
import { barText } from './copy-text.ts';

/** The yellow information bar across the top while any copy-back runs (as Symphony shows it). */
export function CopyBackBar() {
  const { copybacks } = useFarm();
  const running = copybacks.filter((j) => j.state === 'pending' || j.state === 'running');
  if (!running.length) return null;
  return (
    <div class="infobar" data-testid="copyback-bar" role="status">
      <a href="/failovers#copybacks">{barText(running)}</a>
    </div>
  );
}
