/**
 * Crash points for the fault tests: a process started with VIGIL_FAULT_POINT=<name> kills itself
 * (SIGKILL, as kill -9 would) the moment it reaches the point of that name, so a test can stop a
 * master at an exact step of a failover, which no timing from outside can hit. Unset (always, but
 * in those tests), nothing happens.
 */
export function faultPoint(name: string): void {
  if (process.env.VIGIL_FAULT_POINT === name) process.kill(process.pid, 'SIGKILL');
}
