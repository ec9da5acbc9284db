/** A person's role: each one may do what the one before it may, and more. */
export type Role = 'viewer' | 'operator' | 'admin';

/** The roles, lowest first. */
export const ROLES: readonly Role[] = ['viewer', 'operator', 'admin'];

/**
 * Who made a request, as the one authentication hook found it: a person (through a browser
 * session or a named API token), or a recording server (by its client certificate).
 */
export type Principal =
  | { kind: 'user'; user: string; role: Role; via: 'session' | 'token'; token?: string }
  | { kind: 'server'; server: string };

declare module 'fastify' {
  interface FastifyRequest {
    /** Set by the authentication hook before the body is read; unset on public routes without credentials. */
    principal?: Principal;
  }
}

/** Whether `role` may do what `needed` may. */
export function roleAtLeast(role: Role, needed: Role): boolean {
  return ROLES.indexOf(role) >= ROLES.indexOf(needed);
}

/** How the audit log and the failover log name an actor: `user:alice`, `token:alice/backup`, `server:s1`. */
export function actorName(p: Principal | undefined): string {
  if (!p) return 'anonymous';
  if (p.kind === 'server') return `server:${p.server}`;
  return p.via === 'token' ? `token:${p.user}/${p.token ?? ''}` : `user:${p.user}`;
}
