import { useFarm } from '../live/use-farm.ts';

/** The yellow information bar across the top while any copy-back runs (as Symphony shows it). */
export function CopyBackBar() {
  const { copybacks } = useFarm();
  if (!copybacks.length) return null;
  return (
    <div class="infobar" data-testid="copyback-bar" role="status">
      Copying footage back: {copybacks.length} job{copybacks.length > 1 ? 's' : ''} under way
    </div>
  );
}
