import type { Store } from '../store/store.ts';
import type { Logger } from '../lib/log.ts';
import type { Clock } from '../lib/clock.ts';
import { FarmState } from './farm-state.ts';
import { Placement } from './placement.ts';
import { CopyBacks } from './copy-backs.ts';
import { Handovers } from './handovers.ts';
import { FailoverRuns } from './failover-runs.ts';
import { ServerReturns } from './server-return.ts';
import { apiUrlOf, type Heard } from './heard.ts';
import { StoreOutage } from './store-outage.ts';

/** The parts the controller dispatches to, each wired to what it declares it needs of the others. */
export interface ControllerParts {
  state: FarmState;
  placement: Placement;
  copies: CopyBacks;
  handovers: Handovers;
  runs: FailoverRuns;
  returns: ServerReturns;
  /** Whether the store answers (one log line per change), shared by the parts that wait for it. */
  outage: StoreOutage;
}

/** Builds the controller's parts over one store; `heard` is what the master last heard from each server; `term` the leader's. */
export function controllerParts(store: Store, clock: Clock, log: Logger, heard: Heard, term?: number): ControllerParts {
  const state = new FarmState(store, term);
  const placement = new Placement(state, store);
  const copies: CopyBacks = new CopyBacks(
    {
      // A copy-back source is handed out only while it runs and has told which port its API listens on.
      sourceUrl: (id) => {
        const server = state.farm.servers.find((s) => s.id === id);
        return server?.state === 'down' ? undefined : apiUrlOf(server, heard.of(id));
      },
      openDetail: (logId) => handovers.openDetail(logId),
      hasServer: (id) => state.farm.servers.some((s) => s.id === id),
    },
    store,
    log,
  );
  const handovers = new Handovers({ state, placement, copyBacks: copies }, store, clock, log);
  const outage = new StoreOutage(log);
  const runs: FailoverRuns = new FailoverRuns(
    { state, placement, handovers, unhealthy: (id) => returns.forget(id) },
    store,
    clock,
    log,
    outage,
  );
  const returns = new ServerReturns({ state, placement, runs, handovers }, store, log);
  return { state, placement, copies, handovers, runs, returns, outage };
}
