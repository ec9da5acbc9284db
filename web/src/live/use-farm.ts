import { useEffect, useState } from 'preact/hooks';
import { FarmChannel, type Connection } from './farm-channel.ts';
import type { FarmState } from './farm-state.ts';

declare global {
  interface Window {
    /** Set by bench/console.ts before the page loads: sees every service-channel message as it arrives. */
    __vigilOnEvent?: (type: string, atMs: number, receivedAtMs: number) => void;
  }
}

/** The page's one service channel (opened at login by the shell). */
export const farmChannel = new FarmChannel('/api/v1/events', (e, at) => window.__vigilOnEvent?.(e.type, e.atMs, at));

/** The farm as the service channel keeps it, and whether it is live; re-renders on every change. */
export function useFarm(): FarmState & { connection: Connection } {
  const [, setTick] = useState(0);
  useEffect(() => farmChannel.subscribe(() => setTick((n) => n + 1)), []);
  return { ...farmChannel.state, connection: farmChannel.connection };
}
