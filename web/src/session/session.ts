import { useEffect, useState } from 'preact/hooks';
import { api, apiError, onUnauthorized, type Me } from '../api/client.ts';

/** The roles in order: each may do what the ones before it may. */
export const ROLES = ['viewer', 'operator', 'admin'] as const;
export type Role = (typeof ROLES)[number];

/** Whether `role` may do what `needed` may (viewer < operator < admin). */
export function atLeast(role: Role | undefined, needed: Role): boolean {
  return role !== undefined && ROLES.indexOf(role) >= ROLES.indexOf(needed);
}

/** Who is logged in: undefined while asking, null when nobody. */
let me: Me | null | undefined;
const listeners = new Set<() => void>();
const set = (m: Me | null) => {
  me = m;
  for (const fn of listeners) fn();
};

/** Asks the master who the page's cookie belongs to. */
export async function refreshMe(): Promise<void> {
  try {
    const { data, response } = await api.GET('/api/v1/me');
    if (data) set(data);
    else if (response.status === 401) set(null);
    else setTimeout(refreshMe, 1000);
  } catch {
    // The master is away: keep who we were and ask again (the page says it is reconnecting).
    setTimeout(refreshMe, 1000);
  }
}

onUnauthorized(() => set(null));

/** Logs in with a password: the master sets the session cookie. Returns the refusal's message, if any. */
export async function login(user: string, password: string): Promise<string | undefined> {
  const { error, response } = await api.POST('/api/v1/login', { body: { user, password } });
  if (!response.ok) return apiError(error, response);
  await refreshMe();
  return undefined;
}

/** Ends the session. */
export async function logout(): Promise<void> {
  await api.POST('/api/v1/logout').catch(() => undefined);
  set(null);
}

/** The logged-in user (undefined while asking, null when nobody); re-renders when it changes. */
export function useMe(): Me | null | undefined {
  const [, setTick] = useState(0);
  useEffect(() => {
    const fn = () => setTick((n) => n + 1);
    listeners.add(fn);
    return () => listeners.delete(fn);
  }, []);
  return me;
}
