import { execFileSync } from 'node:child_process';

/**
 * The environment that runs a process (and the ffmpegs it starts) on a wall clock `offset` off
 * the machine's, through libfaketime (`+5s`, `-2.5s`; the faketime package): a server whose clock
 * is wrong, for the end-to-end tests. Preloaded directly rather than through the `faketime`
 * wrapper, which forks: the farm's process is then the node itself (its pid, its signals). The
 * monotonic clock stays true, as it does on a real machine whose wall clock is set wrong.
 * Throws when faketime is not installed (.ci/run installs it).
 */
export function fakeClockEnv(offset: string): Record<string, string> {
  let preload: string;
  try {
    // faketime sets LD_PRELOAD for what it runs: the library's path, however the distribution lays it out.
    preload = execFileSync('faketime', ['-f', '+0s', 'printenv', 'LD_PRELOAD'], { encoding: 'utf8' }).trim();
  } catch (err) {
    throw new Error(`faketime is not installed (apt-get install faketime): ${(err as Error).message}`);
  }
  if (!preload) throw new Error('faketime did not say where libfaketime is');
  return { LD_PRELOAD: preload, FAKETIME: offset, FAKETIME_DONT_FAKE_MONOTONIC: '1' };
}
