import type { Store, SessionRow, ApiTokenRow, CredentialUser } from '../store/store.ts';

/** What the authentication hook reads (and touches) of the store. */
export type CredentialStore = Pick<Store, 'session' | 'touchSession' | 'deleteSession' | 'apiToken' | 'touchApiToken'>;

/** How long a credential read from the store is used without reading it again. */
const TTL_MS = 5000;
/** Credentials kept at most (each a few hundred bytes). */
const MAX_ENTRIES = 10_000;

type Entry<T> = { row: T; at: number; epoch: number };

/**
 * The store's sessions and API tokens as the hook reads them, kept a few seconds: one store query
 * per credential every TTL_MS instead of one per request (a player fetches a segment a second).
 * Every change this store makes that may end or lower a credential (Store.credentialsChanged)
 * empties it at once, so a logout, a revocation or a new role take effect on the next request; a
 * change made by another process on the same store (`vigil user passwd --store`) within TTL_MS.
 * Expiry is judged on each use by the caller, on the row's times; unknown secrets are not kept.
 */
export class CredentialCache implements CredentialStore {
  private readonly sessions = new Map<string, Entry<SessionRow & CredentialUser>>();
  private readonly tokens = new Map<string, Entry<ApiTokenRow & CredentialUser>>();
  private epoch = -1;

  constructor(
    private readonly store: CredentialStore & Pick<Store, 'credentialsChanged'>,
    private readonly now: () => number,
  ) {}

  /** A session by the hash of its secret (see Store.session). */
  async session(hash: string): Promise<(SessionRow & CredentialUser) | undefined> {
    return this.read(this.sessions, hash, () => this.store.session(hash));
  }

  /** A token by the hash of its secret (see Store.apiToken). */
  async apiToken(hash: string): Promise<(ApiTokenRow & CredentialUser) | undefined> {
    return this.read(this.tokens, hash, () => this.store.apiToken(hash));
  }

  /** Records a session's use, in the store and in the row kept. */
  async touchSession(hash: string, at: number): Promise<void> {
    await this.store.touchSession(hash, at);
    const e = this.sessions.get(hash);
    if (e) e.row = { ...e.row, lastSeenAt: at };
  }

  /** Records a token's use, in the store and in the row kept. */
  async touchApiToken(id: number, at: number): Promise<void> {
    await this.store.touchApiToken(id, at);
    for (const e of this.tokens.values()) if (e.row.id === id) e.row = { ...e.row, lastUsedAt: at };
  }

  /** Ends a session (in the store, which empties the cache). */
  async deleteSession(hash: string): Promise<void> {
    await this.store.deleteSession(hash);
    this.sessions.delete(hash);
  }

  private async read<T>(
    m: Map<string, Entry<T>>,
    hash: string,
    load: () => Promise<T | undefined>,
  ): Promise<T | undefined> {
    const epoch = this.store.credentialsChanged;
    if (epoch !== this.epoch) {
      this.sessions.clear();
      this.tokens.clear();
      this.epoch = epoch;
    }
    const now = this.now();
    const kept = m.get(hash);
    if (kept && now - kept.at < TTL_MS && now >= kept.at) return kept.row;
    const row = await load();
    m.delete(hash);
    // A change made while the store was read must not be undone by keeping what was read before it.
    if (row !== undefined && this.store.credentialsChanged === epoch) {
      if (m.size >= MAX_ENTRIES) m.delete(m.keys().next().value as string);
      m.set(hash, { row, at: now, epoch });
    }
    return row;
  }
}
