import { spawn, type ChildProcess } from 'node:child_process';
import { openSync, closeSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { stringify } from 'yaml';
import type { FarmConfigInput } from '../config/farm-config.ts';
import { setTimeout as delay } from 'node:timers/promises';
import { testDbLocation } from '../store/test-db.ts';
import { PRIVATE_DIR_MODE, PRIVATE_FILE_MODE, removeOwnDirs } from '../lib/private-dir.ts';
import { bufferPrefix, SHM } from '../node/buffer-root.ts';
import { tlsFetch, type TlsFetch } from '../lib/http/tls.ts';
import { Response as UndiciResponse, type RequestInit, type Response } from 'undici';
import { farmClientTls } from '../auth/peer-identity.ts';
import { loadIdentity } from '../node/node-identity.ts';
import { inviteOffline } from '../master/invite-offline.ts';
import { tcpOpen } from '../lib/tcp-open.ts';
import { farmAdmin, type FarmAdmin } from './farm-admin.ts';
import { copyFarmCa, firstAnswer, leadingMaster, masterArgs, masterIndex, type MasterStart } from './farm-masters.ts';

const BIN = join(dirname(fileURLToPath(import.meta.url)), '../../bin');
/** What `vigil` runs: the compiled build (bin/vigil.js, dist/) or the TypeScript sources through tsx (bin/vigil-dev.js). */
export type VigilCode = 'compiled' | 'sources';
/** The entry script of `vigil` for each kind of code. */
export const VIGIL_BIN: Record<VigilCode, string> = {
  compiled: join(BIN, 'vigil.js'),
  sources: join(BIN, 'vigil-dev.js'),
};
// A farm runs the code its starter runs: the sources when this file is loaded as TypeScript (benches,
// `npm run dev`), so they never run a stale build; the build when compiled (`vigil demo`).
// VIGIL_FARM_CODE overrides it: the test runner builds first and sets it to `compiled`, so the
// end-to-end farms run what production runs, and start without compiling every file through tsx
// (a node then takes 2.3 times less CPU to start: on a loaded machine, fewer slow first statuses).
const ENV_CODE = process.env.VIGIL_FARM_CODE;
const OWN_CODE: VigilCode =
  ENV_CODE === 'compiled' || ENV_CODE === 'sources'
    ? ENV_CODE
    : import.meta.url.endsWith('.ts')
      ? 'sources'
      : 'compiled';

export interface LocalFarmOptions {
  dir: string;
  /** The farm key the master gets in VIGIL_FARM_KEY (its nodes do not): 32 random bytes, hex (newFarmKey()). */
  farmKey: string;
  masterPort: number;
  /** Where each process's output goes: files in dir (tests, bench) or this terminal (demo). */
  output?: 'files' | 'inherit';
  /** What its processes run (default: the code this module was loaded from). */
  code?: VigilCode;
  /**
   * A PostgreSQL server (postgres:// URL) to run the master's store on, in a database of this
   * farm's own: created at the first startMaster, kept across master restarts, dropped at close.
   * Unset (or empty): a SQLite file in the master's data dir.
   */
  postgres?: string;
  /**
   * Ports of further masters (standbys) on the same store (PostgreSQL only): `master2`, `master3`…,
   * started by startStandby. Every node is given every master's URL; the farm's requests go to
   * whichever master answers (a standby forwards them to the leader).
   */
  standbyPorts?: number[];
  /** The masters' lease (--lease-ms, --lease-renew-ms); the CLI's defaults unless given. */
  lease?: { leaseMs: number; renewMs: number };
}
export type { FarmAdmin } from './farm-admin.ts';
export type { MasterStart } from './farm-masters.ts';

/**
 * Runs a farm on this machine as real separate processes: `vigil sim`, `vigil master` and one
 * `vigil node` per server. Used by the demo, the end-to-end tests and the benchmarks. Everything
 * goes over TLS: the master's API (trusted by its farm CA, `caFile`), the nodes enrolled by join
 * tokens the first time they start, their APIs and copy-back on mutual TLS.
 */
export class LocalFarm {
  private readonly procs = new Map<string, ChildProcess>();
  private readonly nodeIds = new Set<string>();
  private storeDb: Promise<{ location: string; drop: () => Promise<void> }> | undefined;
  private adminCredential: FarmAdmin | undefined;
  /** Join tokens made, by server (handed to its node at its first start). */
  private readonly tokens = new Map<string, string>();
  private http: TlsFetch | undefined;
  /** The master's API: https://127.0.0.1:<masterPort>. */
  readonly masterUrl: string;
  /** Every master's API, the first one's first (names: master, master2, master3…). */
  readonly masterUrls: string[];
  answering = 0; // the index of the master that answered last: asked first (a test may steer it)
  /** The farm CA certificate the master creates at its first start: what this farm's clients trust. */
  readonly caFile: string;

  constructor(private readonly o: LocalFarmOptions) {
    mkdirSync(o.dir, { recursive: true, mode: PRIVATE_DIR_MODE });
    this.masterUrl = `https://127.0.0.1:${o.masterPort}`;
    this.masterUrls = [o.masterPort, ...(o.standbyPorts ?? [])].map((p) => `https://127.0.0.1:${p}`);
    this.caFile = join(o.dir, 'master', 'pki', 'ca.pem');
  }

  /** The farm's admin (after startMaster): who, their password, their API token. */
  get admin(): FarmAdmin {
    if (!this.adminCredential) throw new Error('no admin yet: start the master first');
    return this.adminCredential;
  }

  /** The headers that authenticate a request to the master as the farm's admin (its API token). */
  authHeaders(): Record<string, string> {
    return { authorization: `Bearer ${this.admin.token}` };
  }

  /**
   * A request to the master with the caller's headers only, no credential of the farm's admin (a
   * test's other people, or nobody), over TLS trusting the farm CA; the answer as it comes. The one
   * way this farm reaches its master's API: fetch, api and post go through it. With standbys, any
   * master that answers will do (it forwards to the leader): a killed one is skipped.
   */
  async request(path: string, init: RequestInit = {}): Promise<Response> {
    this.http ??= tlsFetch({ ca: readFileSync(this.caFile, 'utf8') });
    const http = this.http;
    const { res, idx } = await firstAnswer(this.masterUrls, this.answering, init, (url) =>
      http.fetch(url + path, init),
    );
    this.answering = idx;
    return res;
  }

  /** A request to one master by name (master, master2…), not to whichever answers; as the farm's admin once there is one. */
  requestAt(name: string, path: string, init: RequestInit = {}): Promise<Response> {
    this.http ??= tlsFetch({ ca: readFileSync(this.caFile, 'utf8') });
    return this.http.fetch(this.masterUrls[masterIndex(name)] + path, {
      ...init,
      headers: { ...(init.headers as Record<string, string>), ...(this.adminCredential && this.authHeaders()) },
    });
  }

  /** A request to the master as the farm's admin, over TLS trusting the farm CA; the answer as it comes (status not checked). */
  fetch(path: string, init: RequestInit = {}): Promise<Response> {
    return this.request(path, {
      ...init,
      headers: { ...(init.headers as Record<string, string>), ...this.authHeaders() },
    });
  }

  /** A request to the master as server `id` (its enrolled certificate, e.g. for its own assignment); the answer as it comes. */
  async serverFetch(id: string, path: string, init: RequestInit = {}): Promise<Response> {
    const identity = loadIdentity(this.nodeDir(id));
    if (!identity) throw new Error(`server ${id} has not enrolled`);
    const http = tlsFetch(farmClientTls(identity, 'master'));
    try {
      const res = await http.fetch(this.masterUrl + path, init);
      const body = await res.arrayBuffer();
      return new UndiciResponse(body, { status: res.status, headers: res.headers });
    } finally {
      await http.close();
    }
  }

  /**
   * Join tokens for servers that have no identity yet: through the master's API when it runs,
   * else on its store and pki folder directly (so nodes can start before the master first does).
   * startNode hands each to its node.
   */
  async enroll(servers: string[]): Promise<void> {
    const missing = servers.filter((id) => !this.tokens.has(id) && !this.enrolled(id));
    if (!missing.length) return;
    const master = this.procs.get('master');
    if (master && master.exitCode === null && master.signalCode === null && existsSync(this.caFile)) {
      for (const id of missing) {
        const r = await this.post<{ joinToken: string }>(`/api/v1/servers/${encodeURIComponent(id)}/enroll`);
        this.tokens.set(id, r.joinToken);
      }
      return;
    }
    const offline = { store: await this.storeLocation(), pkiDir: dirname(this.caFile), servers: missing };
    for (const i of await inviteOffline(offline)) this.tokens.set(i.server, i.joinToken);
  }

  /** Whether server `id`'s node holds an identity (it enrolled). */
  enrolled(id: string): boolean {
    return loadIdentity(this.nodeDir(id)) !== undefined;
  }

  private nodeDir(id: string): string {
    return join(this.o.dir, 'nodes', id);
  }

  /** Where the master's store is: a SQLite file in its data dir, or this farm's PostgreSQL database. */
  async storeLocation(): Promise<string> {
    if (!this.o.postgres) {
      mkdirSync(join(this.o.dir, 'master'), { recursive: true, mode: PRIVATE_DIR_MODE });
      return join(this.o.dir, 'master', 'farm.sqlite');
    }
    this.storeDb ??= testDbLocation(this.o.postgres);
    return (await this.storeDb).location;
  }

  /** Starts `vigil sim` serving the given camera ids; resolves when its RTSP port answers. */
  async startSim(port: number, cameras: string[], extra: string[] = []): Promise<void> {
    // Its encoders' files in the farm's folder, not the system's: a simulator killed (the cameras'
    // reboot of a test) leaves nothing behind once that folder goes.
    const tmp = join(this.o.dir, 'tmp');
    mkdirSync(tmp, { recursive: true, mode: PRIVATE_DIR_MODE });
    this.spawn('sim', ['sim', '--port', String(port), '--cameras', cameras.join(','), ...extra], { TMPDIR: tmp });
    await this.started('sim', () => tcpOpen(port));
  }

  /**
   * Starts (or restarts) `vigil master` with this configuration; resolves when its API answers
   * over TLS, once each configured server that has not enrolled has a join token for its node.
   */
  async startMaster(config: FarmConfigInput, o: MasterStart = {}): Promise<void> {
    const file = join(this.o.dir, 'farm.yaml');
    // It holds the cameras' URLs, passwords and all.
    writeFileSync(file, stringify(config), { mode: PRIVATE_FILE_MODE });
    await this.launchMaster('master', file, o);
    await this.adminAuth();
    await this.enroll(config.servers.map((s) => s.id));
  }

  /**
   * Starts (or restarts) a standby master (`master2`, `master3`…: standbyPorts) on the same store
   * and farm CA (its ca.pem and ca.key, copied from the first master's pki/ as an admin would);
   * resolves when its API answers. The configuration file is the first master's (a standby checks it
   * and leaves the farm to the leader).
   */
  async startStandby(name: string, o: MasterStart = {}): Promise<void> {
    const i = masterIndex(name);
    if (i < 1 || i >= this.masterUrls.length) throw new Error(`no standby port for ${name}`);
    copyFarmCa(dirname(this.caFile), join(this.o.dir, name, 'pki'));
    await this.launchMaster(name, join(this.o.dir, 'farm.yaml'), o);
  }

  private async launchMaster(name: string, configFile: string, o: MasterStart): Promise<void> {
    this.spawn(name, await this.masterArgs(name, configFile), o.env, o.gid);
    const health = () => this.requestAt(name, '/api/v1/health', { signal: AbortSignal.timeout(2000) });
    await this.started(name, async () => existsSync(this.caFile) && (await health()).ok);
  }

  /** The master that leads now, by name, as the masters themselves answer (undefined: none does). */
  leader(): Promise<string | undefined> {
    return leadingMaster(this.masterUrls.length, (name, path, init) => this.requestAt(name, path, init));
  }

  private async masterArgs(name: string, configFile: string): Promise<string[]> {
    const store = this.o.postgres ? await this.storeLocation() : undefined;
    return masterArgs(this.o, name, configFile, store);
  }

  /** The farm's admin, made at the master's first start (farm-admin.ts) or read back from `<dir>/farm-admin.json`. */
  private async adminAuth(): Promise<void> {
    this.adminCredential ??= await farmAdmin(
      this.o.dir,
      (path, init) => this.request(path, init),
      (fn, ms, what) => this.waitFor(fn, ms, what),
    );
  }

  /**
   * Starts (or restarts) server `id`'s node; the first time, with the join token made for it (see
   * enroll: startMaster makes them for the configured servers). `env` adds to its environment (and
   * its ffmpegs'): fakeClockEnv runs it on a skewed clock.
   */
  startNode(id: string, o: { env?: Record<string, string> } = {}): void {
    this.nodeIds.add(id);
    const token = this.enrolled(id) ? undefined : this.tokens.get(id);
    if (!token && !this.enrolled(id))
      throw new Error(`server ${id} has neither an identity nor a join token: start the master first, or enroll it`);
    // The token stays listed: a master starting while this node enrolls must not make it another
    // one, which would replace (and so spend) this one.
    this.spawn(
      id,
      [
        'node',
        '--id',
        id,
        '--master',
        this.masterUrls.join(','),
        '--data',
        this.nodeDir(id),
        ...(token ? ['--join', token] : []),
      ],
      o.env,
    );
  }

  /** Process ids by name (sim, master, server ids). */
  pids(): Record<string, number | undefined> {
    return Object.fromEntries([...this.procs].map(([name, p]) => [name, p.pid]));
  }

  /** Sends a signal to one process (SIGKILL to simulate a crash) and waits until it has exited. */
  async kill(name: string, signal: NodeJS.Signals = 'SIGKILL'): Promise<void> {
    const p = this.procs.get(name);
    if (!p || p.exitCode !== null || p.signalCode !== null) return;
    const exited = new Promise<void>((r) => p.once('exit', () => r()));
    p.kill(signal);
    await exited;
  }

  /** A GET of the master's API as the farm's admin; the JSON answer, or throws with the status. */
  async api<T>(path: string): Promise<T> {
    const res = await this.fetch(path);
    if (!res.ok) throw new Error(`${path}: ${res.status} ${await res.text()}`);
    return (await res.json()) as T;
  }

  /** An operator's action on the master (POST as the farm's admin). */
  async post<T>(path: string, body?: unknown): Promise<T> {
    const headers: Record<string, string> = {};
    if (body !== undefined) headers['content-type'] = 'application/json';
    const res = await this.fetch(path, {
      method: 'POST',
      headers,
      ...(body !== undefined && { body: JSON.stringify(body) }),
    });
    if (!res.ok) throw new Error(`POST ${path}: ${res.status} ${await res.text()}`);
    return (await res.json()) as T;
  }

  /** Polls until fn is true; throws with `what` after timeoutMs. */
  async waitFor(fn: () => Promise<boolean> | boolean, timeoutMs: number, what: string): Promise<void> {
    const end = Date.now() + timeoutMs;
    for (;;) {
      try {
        if (await fn()) return;
      } catch {
        // not yet
      }
      if (Date.now() > end) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
      await delay(100);
    }
  }

  /** Waits up to 30 s until `ready`; a process that exits meanwhile fails at once, with the end of its log. */
  private async started(name: string, ready: () => Promise<boolean>): Promise<void> {
    const p = this.procs.get(name)!;
    const exited = () => p.exitCode !== null || p.signalCode !== null;
    await this.waitFor(async () => exited() || (await ready()), 30_000, name);
    if (!exited()) return;
    let tail = '';
    try {
      tail = readFileSync(join(this.o.dir, `${name}.log`), 'utf8').slice(-2000);
    } catch {
      // output inherited: it is on the console already
    }
    throw new Error(`${name} exited (${p.exitCode ?? p.signalCode}) while starting${tail ? `:\n${tail}` : ''}`);
  }

  /** Stops every process: SIGTERM, then SIGKILL after a grace period; then drops the master's PostgreSQL database. */
  async close(): Promise<void> {
    try {
      const alive = [...this.procs.values()].filter((p) => p.exitCode === null && p.signalCode === null);
      const exits = alive.map((p) => new Promise<void>((r) => p.once('exit', () => r())));
      for (const p of alive) p.kill('SIGTERM');
      const all = Promise.all(exits);
      if ((await Promise.race([all.then(() => true), delay(8000).then(() => false)])) === false)
        for (const p of alive) p.kill('SIGKILL');
      await all;
      this.procs.clear();
      // destroy, not close: an answer a test left unread (a video it did not need) would hold close up.
      await this.http?.destroy();
      this.http = undefined;
    } finally {
      // A node killed the hard way leaves its pre-buffer folder in /dev/shm (memory): its next start
      // would remove it, but a test's farm does not start again.
      for (const id of this.nodeIds) {
        try {
          removeOwnDirs(SHM, bufferPrefix(id, join(this.o.dir, 'nodes', id)));
        } catch {
          // its data dir is gone: so is what could be found from it
        }
      }
      const db = this.storeDb;
      this.storeDb = undefined;
      // A database that failed to be created has nothing to drop.
      if (db) await (await db.catch(() => undefined))?.drop();
    }
  }

  private spawn(name: string, args: string[], extraEnv: Record<string, string> = {}, gid?: number): void {
    const prev = this.procs.get(name);
    if (prev && prev.exitCode === null && prev.signalCode === null) throw new Error(`${name} is already running`);
    let stdio: ('inherit' | number)[] = ['inherit', 'inherit', 'inherit'];
    let fd: number | undefined;
    if (this.o.output !== 'inherit') {
      fd = openSync(join(this.o.dir, `${name}.log`), 'a', PRIVATE_FILE_MODE);
      stdio = ['ignore', fd, fd] as never;
    }
    // The farm key is the master's only (Alive keys, the store's secrets): a node's credential is its
    // enrolled identity, so nodes (and the simulator) do not get it.
    const env = { ...process.env, ...extraEnv };
    if (/^master\d*$/.test(name)) env.VIGIL_FARM_KEY = this.o.farmKey;
    else delete env.VIGIL_FARM_KEY;
    const child = spawn(process.execPath, [VIGIL_BIN[this.o.code ?? OWN_CODE], ...args], {
      stdio: stdio as never,
      env,
      ...(gid !== undefined && { gid }),
    });
    if (fd !== undefined) closeSync(fd);
    this.procs.set(name, child);
  }
}
