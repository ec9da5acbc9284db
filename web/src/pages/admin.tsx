import { useEffect, useState } from 'preact/hooks';
import { api, apiError } from '../api/client.ts';
import { atLeast, useMe } from '../session/session.ts';
import { problemsOf, readConfigText, toYaml, type UploadResult } from '../admin/config-upload.ts';
import { dateTime } from '../lib/format.ts';

type Config = NonNullable<Awaited<ReturnType<typeof getConfig>>['data']>;
const getConfig = () => api.GET('/api/v1/config');

function ConfigSection() {
  const [config, setConfig] = useState<Config>();
  const [text, setText] = useState('');
  const [result, setResult] = useState<UploadResult>();
  const [busy, setBusy] = useState(false);
  const load = () => getConfig().then(({ data }) => data && setConfig(data));
  useEffect(() => {
    void load();
  }, []);
  const apply = async () => {
    setBusy(true);
    const read = readConfigText(text);
    if ('problems' in read) setResult({ applied: false, problems: read.problems });
    else {
      const res = await fetch('/api/v1/config', {
        method: 'PUT',
        credentials: 'same-origin',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(read.config),
      });
      const body = await res.json().catch(() => undefined);
      if (res.ok) {
        setResult({ applied: true, warnings: (body as { warnings?: string[] })?.warnings ?? [] });
        void load();
      } else setResult({ applied: false, problems: problemsOf(body, res.status) });
    }
    setBusy(false);
  };
  const yaml = config ? toYaml(config) : '';
  return (
    <section>
      <h2>Configuration</h2>
      <p class="muted">As the master holds it, camera credentials redacted.</p>
      {config && (
        <a class="button" href={`data:text/yaml;charset=utf-8,${encodeURIComponent(yaml)}`} download="farm.yaml">
          Download YAML
        </a>
      )}
      <pre class="panel config" data-testid="config">
        {yaml || 'Loading…'}
      </pre>
      <h2>Apply a configuration</h2>
      <p class="muted">
        The whole file replaces the configuration. It is checked first: if anything is wrong, every problem is listed
        and nothing is applied.
      </p>
      <div class="row">
        <input
          type="file"
          accept=".yaml,.yml,.json"
          data-testid="config-file"
          onChange={async (e) => {
            const f = e.currentTarget.files?.[0];
            if (f) setText(await f.text());
          }}
        />
      </div>
      <textarea
        data-testid="config-text"
        rows={10}
        class="config-text"
        value={text}
        placeholder="or paste YAML here"
        onInput={(e) => setText(e.currentTarget.value)}
      />
      <div class="row">
        <button type="button" class="primary" data-testid="config-apply" disabled={busy || !text} onClick={apply}>
          {busy ? 'Applying…' : 'Apply'}
        </button>
      </div>
      {result && !result.applied && (
        <div class="panel bad" data-testid="config-problems">
          <b>Refused, nothing applied: {result.problems.length} problem(s)</b>
          <ul>
            {result.problems.map((p) => (
              <li key={p}>{p}</li>
            ))}
          </ul>
        </div>
      )}
      {result?.applied && (
        <div class="panel ok" data-testid="config-applied">
          Applied.
          {result.warnings.map((w) => (
            <p key={w} class="warn">
              warning: {w}
            </p>
          ))}
        </div>
      )}
    </section>
  );
}

function UsersSection() {
  const [users, setUsers] = useState<{ name: string; role: string; createdAt: number; disabled: boolean }[]>([]);
  const [name, setName] = useState('');
  const [role, setRole] = useState<'viewer' | 'operator' | 'admin'>('viewer');
  const [password, setPassword] = useState('');
  const [error, setError] = useState<string>();
  const load = () => api.GET('/api/v1/users').then(({ data }) => data && setUsers(data));
  useEffect(() => {
    void load();
  }, []);
  const add = async (e: Event) => {
    e.preventDefault();
    const { error: err, response } = await api.POST('/api/v1/users', { body: { name, role, password } });
    setError(response.ok ? undefined : apiError(err, response));
    if (response.ok) {
      setName('');
      setPassword('');
      void load();
    }
  };
  const change = async (user: string, body: { role?: 'viewer' | 'operator' | 'admin'; disabled?: boolean }) => {
    const { error: err, response } = await api.PUT('/api/v1/users/{name}', { params: { path: { name: user } }, body });
    setError(response.ok ? undefined : apiError(err, response));
    void load();
  };
  const remove = async (user: string) => {
    if (!confirm(`Delete user ${user}? Their sessions and tokens end.`)) return;
    const { error: err, response } = await api.DELETE('/api/v1/users/{name}', { params: { path: { name: user } } });
    setError(response.ok ? undefined : apiError(err, response));
    void load();
  };
  return (
    <section>
      <h2>Users</h2>
      <table>
        <thead>
          <tr>
            <th>user</th>
            <th>role</th>
            <th>since</th>
            <th />
          </tr>
        </thead>
        <tbody>
          {users.map((u) => (
            <tr key={u.name}>
              <td>
                {u.name}
                {u.disabled && <span class="muted"> (disabled)</span>}
              </td>
              <td>
                <select
                  value={u.role}
                  onChange={(e) => change(u.name, { role: e.currentTarget.value as 'viewer' | 'operator' | 'admin' })}
                >
                  <option value="viewer">viewer</option>
                  <option value="operator">operator</option>
                  <option value="admin">admin</option>
                </select>
              </td>
              <td class="muted">{dateTime(u.createdAt)}</td>
              <td>
                <button type="button" onClick={() => change(u.name, { disabled: !u.disabled })}>
                  {u.disabled ? 'Enable' : 'Disable'}
                </button>{' '}
                <button type="button" class="danger" onClick={() => remove(u.name)}>
                  Delete
                </button>
              </td>
            </tr>
          ))}
        </tbody>
      </table>
      <form class="row" onSubmit={add}>
        <input placeholder="name" value={name} onInput={(e) => setName(e.currentTarget.value)} required />
        <select value={role} onChange={(e) => setRole(e.currentTarget.value as 'viewer' | 'operator' | 'admin')}>
          <option value="viewer">viewer</option>
          <option value="operator">operator</option>
          <option value="admin">admin</option>
        </select>
        <input
          type="password"
          placeholder="password"
          autoComplete="new-password"
          value={password}
          onInput={(e) => setPassword(e.currentTarget.value)}
          required
        />
        <button type="submit">Add user</button>
      </form>
      {error && <p class="error">{error}</p>}
    </section>
  );
}

function TokensSection() {
  const [tokens, setTokens] = useState<
    {
      id: number;
      name: string;
      user: string;
      role: string;
      createdAt: number;
      lastUsedAt: number | null;
      revokedAt: number | null;
    }[]
  >([]);
  const [name, setName] = useState('');
  const [secret, setSecret] = useState<string>();
  const [error, setError] = useState<string>();
  const load = () => api.GET('/api/v1/tokens').then(({ data }) => data && setTokens(data));
  useEffect(() => {
    void load();
  }, []);
  const create = async (e: Event) => {
    e.preventDefault();
    const { data, error: err, response } = await api.POST('/api/v1/tokens', { body: { name } });
    setError(response.ok ? undefined : apiError(err, response));
    if (data) {
      setSecret(data.secret);
      setName('');
      void load();
    }
  };
  const revoke = async (id: number) => {
    const { error: err, response } = await api.DELETE('/api/v1/tokens/{id}', { params: { path: { id } } });
    setError(response.ok ? undefined : apiError(err, response));
    void load();
  };
  return (
    <section>
      <h2>API tokens</h2>
      <table>
        <thead>
          <tr>
            <th>name</th>
            <th>user</th>
            <th>role</th>
            <th>last used</th>
            <th />
          </tr>
        </thead>
        <tbody>
          {tokens.map((t) => (
            <tr key={t.id}>
              <td>{t.name}</td>
              <td>{t.user}</td>
              <td>{t.role}</td>
              <td class="muted">{t.revokedAt ? `revoked ${dateTime(t.revokedAt)}` : dateTime(t.lastUsedAt)}</td>
              <td>
                {!t.revokedAt && (
                  <button type="button" class="danger" onClick={() => revoke(t.id)}>
                    Revoke
                  </button>
                )}
              </td>
            </tr>
          ))}
        </tbody>
      </table>
      <form class="row" onSubmit={create}>
        <input placeholder="token name" value={name} onInput={(e) => setName(e.currentTarget.value)} required />
        <button type="submit">Create token</button>
      </form>
      {secret && (
        <p class="panel">
          New token (shown once, keep it now): <code>{secret}</code>
        </p>
      )}
      {error && <p class="error">{error}</p>}
    </section>
  );
}

/** The admin's page: the configuration (and applying one), users and API tokens. */
export function AdminPage() {
  const me = useMe();
  if (!atLeast(me?.role, 'admin'))
    return (
      <main class="page">
        <h1>Admin</h1>
        <p>Only an admin sees the configuration, users and tokens.</p>
      </main>
    );
  return (
    <main class="page">
      <h1>Admin</h1>
      <ConfigSection />
      <UsersSection />
      <TokensSection />
    </main>
  );
}
