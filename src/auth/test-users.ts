import { Store } from '../store/store.ts';
import type { Role } from './principal.ts';
import { newSecret, secretHash } from './tokens.ts';

/**
 * For tests: users with an API token each, written straight into the store at `location` (before or
 * beside a running master); their bearer secrets by name. They have no usable password.
 */
export async function addTestUsers(location: string, users: Record<string, Role>): Promise<Record<string, string>> {
  const store = await Store.open(location);
  try {
    const out: Record<string, string> = {};
    for (const [name, role] of Object.entries(users)) out[name] = await addTestUser(store, name, role);
    return out;
  } finally {
    await store.close();
  }
}

/** For tests: one user of `role` with an API token `test` of that role; its bearer secret. */
export async function addTestUser(store: Store, name: string, role: Role): Promise<string> {
  const at = Date.now();
  await store.createUser({ name, role, passwordHash: 'no-password', createdAt: at });
  const secret = newSecret('token');
  await store.createApiToken({
    hash: secretHash(secret),
    name: 'test',
    user: name,
    role,
    createdAt: at,
    expiresAt: null,
  });
  return secret;
}
