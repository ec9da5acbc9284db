import { Type, type Static } from '@sinclair/typebox';
import { Value } from '@sinclair/typebox/value';
import { type VigilError, refused } from '../lib/errors.ts';
import {
  CameraFailover,
  GroupFailover,
  ServerFailover,
  failoverCheck,
  groupFailoverDefaults,
  type FailoverMode,
  type GroupFailoverSettings,
  type Priority,
} from './failover-settings.ts';
import {
  CameraStorage,
  StorageSettings,
  parseStorageSettings,
  type CameraStorageInput,
  type StorageSettingsInput,
} from '../storage/storage-settings.ts';

const Id = Type.String({
  pattern: '^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$',
  description: 'letters, digits, _ . - (no slash)',
});
const Ms = (def: number, min: number, description: string) =>
  Type.Integer({ default: def, minimum: min, maximum: 3_600_000, description });

/** Farm-wide settings; the Symphony names keep the Symphony meanings. */
export const Settings = Type.Object(
  {
    AliveIntervalMs: Ms(250, 20, 'how often each server sends an Alive to each buddy'),
    FarmHealthStartDelayMs: Ms(5000, 0, 'wait after start before judging buddies'),
    FarmHealthSockTimeoutMs: Ms(1500, 10, 'receive timeout of the monitoring loop'),
    FarmHealthMissedUdpMs: Ms(2000, 50, 'silence before a buddy is reported possibly down'),
    FarmHealthUdpPort: Type.Integer({
      default: 5045,
      minimum: 1,
      maximum: 65535,
      description: 'UDP port of the buddy system',
    }),
    StatusIntervalMs: Ms(500, 20, 'how often a recording server reports its status to the master'),
    ClockSkewWarnMs: Ms(
      500,
      1,
      "a recording server's (or camera's) clock further than this off farm time (the master's) is warned of in GET /api/v1/servers, /api/v1/cameras and the log",
    ),
    ReconcileWindowMs: Type.Integer({
      default: 86_400_000,
      minimum: 0,
      maximum: 86_400_000,
      description:
        'when a server (re)connects, its footage at the master over this recent window is reconciled with its local index, both ways (0: never)',
    }),
    CopyBackMaxBytesPerSec: Type.Integer({
      default: 50_000_000,
      minimum: 0,
      maximum: 100_000_000_000,
      description: 'failback copy-back rate limit per server, so recording keeps its disk bandwidth (0: unlimited)',
    }),
  },
  { additionalProperties: false },
);
export type Settings = Static<typeof Settings>;

export const Group = Type.Object(
  {
    id: Type.Integer({ minimum: 0, description: 'redundancy group number' }),
    redundancy: Type.Optional(Type.Boolean({ default: true, description: 'fail over inside this group' })),
    ...GroupFailover,
  },
  { additionalProperties: false },
);

export const Server = Type.Object(
  {
    id: Id,
    group: Type.Integer({ minimum: 0 }),
    host: Type.String({ minLength: 1, description: 'address the buddies send Alives to' }),
    udpPort: Type.Optional(Type.Integer({ minimum: 1, maximum: 65535, description: 'overrides FarmHealthUdpPort' })),
    storage: Type.Optional(StorageSettings),
    ...ServerFailover,
  },
  { additionalProperties: false },
);

export const Camera = Type.Object(
  {
    id: Id,
    url: Type.String({ description: 'rtsp:// or rtsps:// URL, credentials allowed' }),
    server: Id,
    movable: Type.Optional(Type.Boolean({ default: true, description: 'false for devices tied to their server' })),
    audio: Type.Optional(
      Type.Boolean({ default: true, description: "record the first stream's audio when the camera sends one" }),
    ),
    streams: Type.Optional(
      Type.Array(
        Type.Object(
          {
            url: Type.String({ description: 'rtsp:// or rtsps:// URL of this stream' }),
            audio: Type.Optional(Type.Boolean({ default: true })),
          },
          { additionalProperties: false },
        ),
        {
          maxItems: 3,
          description:
            'streams recorded besides the first (url): the sub stream, …; stream numbers 1, 2, … in this order',
        },
      ),
    ),
    storage: Type.Optional(CameraStorage),
    ...CameraFailover,
  },
  { additionalProperties: false },
);

/** The whole farm configuration: the one schema for the config file, the API and OpenAPI. */
export const FarmConfig = Type.Object(
  {
    settings: Type.Optional(Type.Partial(Settings, { additionalProperties: false })),
    groups: Type.Array(Group),
    servers: Type.Array(Server),
    cameras: Type.Array(Camera),
  },
  { additionalProperties: false },
);
export type FarmConfigInput = Static<typeof FarmConfig>;

/** A validated configuration with every default filled in. */
export interface FarmConfig {
  settings: Settings;
  groups: ({ id: number; redundancy: boolean } & GroupFailoverSettings)[];
  servers: {
    id: string;
    group: number;
    host: string;
    udpPort?: number;
    storage?: StorageSettingsInput;
    enabled?: boolean;
    maxCameras?: number;
    hotStandbyFor?: string;
  }[];
  cameras: {
    id: string;
    url: string;
    server: string;
    movable: boolean;
    audio?: boolean;
    streams?: { url: string; audio?: boolean }[];
    storage?: CameraStorageInput;
    priority?: Priority;
    failoverMode?: FailoverMode;
  }[];
}

/** The farm settings when the configuration sets none: the schema's defaults. */
export function defaultSettings(): Settings {
  return Value.Default(Settings, {}) as Settings;
}

/**
 * Validates a configuration and returns it with defaults, or throws one VigilError whose message
 * lists every problem found (schema and cross-references), so a user fixes them all in one go.
 */
export function parseFarmConfig(input: unknown): { config: FarmConfig; warnings: string[] } {
  const schema = [...Value.Errors(FarmConfig, input)]
    // storageCheck names storage problems in the storage settings' own words.
    .filter((e) => !/^\/(servers|cameras)\/\d+\/storage(\/|$)/.test(e.path))
    .map((e) => `${e.path || '/'}: ${e.message}`);
  // Cross-references are checked on the raw input too, so one answer names every problem.
  const problems = dedupe([...schema, ...crossCheck(loose(input))]);
  if (problems.length) throw invalid(problems);
  const c = Value.Default(FarmConfig, structuredClone(input)) as FarmConfigInput;
  const config: FarmConfig = {
    settings: { ...defaultSettings(), ...c.settings },
    groups: c.groups.map((g) => ({ id: g.id, redundancy: g.redundancy ?? true, ...groupFailoverDefaults(g) })),
    servers: c.servers,
    cameras: c.cameras.map((cam) => ({ ...cam, movable: cam.movable ?? true })),
  };
  return { config, warnings: warnings(config) };
}

type Loose = Record<string, unknown>;
interface LooseConfig {
  udpPort: unknown;
  groups: Loose[];
  servers: Loose[];
  cameras: Loose[];
}

/** The input as far as it can be read, whatever its shape: entries that are not objects become {}. */
function loose(input: unknown): LooseConfig {
  const obj = (v: unknown): Loose => (v && typeof v === 'object' && !Array.isArray(v) ? (v as Loose) : {});
  const list = (v: unknown): Loose[] => (Array.isArray(v) ? v.map(obj) : []);
  const i = obj(input);
  return {
    udpPort: obj(i.settings).FarmHealthUdpPort ?? defaultSettings().FarmHealthUdpPort,
    groups: list(i.groups),
    servers: list(i.servers),
    cameras: list(i.cameras),
  };
}

function crossCheck(c: LooseConfig): string[] {
  const out: string[] = [];
  const dup = (what: string, items: Loose[]) => {
    const seen = new Set<unknown>();
    items.forEach((x, i) => {
      if (x.id === undefined) return;
      if (seen.has(x.id)) out.push(`/${what}/${i}/id: duplicate id ${JSON.stringify(x.id)}`);
      seen.add(x.id);
    });
  };
  dup('groups', c.groups);
  dup('servers', c.servers);
  dup('cameras', c.cameras);
  const groups = new Set(c.groups.map((g) => g.id));
  const servers = new Set(c.servers.map((s) => s.id));
  const endpoints = new Map<string, unknown>();
  c.servers.forEach((s, i) => {
    if (s.group !== undefined && !groups.has(s.group))
      out.push(`/servers/${i}/group: unknown redundancy group ${JSON.stringify(s.group)}`);
    if (s.host === undefined) return;
    const ep = `${String(s.host)}:${String(s.udpPort ?? c.udpPort)}`;
    if (endpoints.has(ep))
      out.push(`/servers/${i}: UDP endpoint ${ep} already used by server ${String(endpoints.get(ep))}`);
    endpoints.set(ep, s.id);
  });
  c.cameras.forEach((cam, i) => {
    if (cam.server !== undefined && !servers.has(cam.server))
      out.push(`/cameras/${i}/server: unknown server ${JSON.stringify(cam.server)}`);
    const urlProblem = (url: unknown, path: string) => {
      const problem = typeof url === 'string' ? cameraUrlProblem(url) : undefined;
      if (problem) out.push(`${path}: camera ${JSON.stringify(cam.id)}: ${problem}`);
    };
    urlProblem(cam.url, `/cameras/${i}/url`);
    if (Array.isArray(cam.streams))
      cam.streams.forEach((st, j) => {
        urlProblem((st as Loose | undefined)?.url, `/cameras/${i}/streams/${j}/url`);
      });
  });
  out.push(...storageCheck(c));
  out.push(...failoverCheck(c.groups, c.servers, c.cameras));
  return out;
}

/**
 * Storage settings checked as far as the master can (absolute paths, "3;20" day lists, bounds):
 * each server's with the overrides of the cameras it is home to, problems named by config path.
 * Whether a path exists and takes writes only its server can tell; it reports that in its status.
 */
function storageCheck(c: LooseConfig): string[] {
  const out: string[] = [];
  // Cameras with overrides by home server, in one pass: a scan of every camera per server was
  // servers x cameras (a million steps at 100 x 100), the most of a large config's parse.
  const overrides = new Map<unknown, (readonly [number, Loose])[]>();
  c.cameras.forEach((cam, j) => {
    if (cam.storage === undefined) return;
    const list = overrides.get(cam.server);
    if (list) list.push([j, cam]);
    else overrides.set(cam.server, [[j, cam]]);
  });
  c.servers.forEach((s, i) => {
    const cams = overrides.get(s.id) ?? [];
    if (s.storage === undefined && !cams.length) return;
    // A server without settings records to its data dir; its cameras' overrides are still checked.
    const server = s.storage ?? { paths: '/' };
    try {
      parseStorageSettings(server, Object.fromEntries(cams.map(([j, cam]) => [String(j), cam.storage])));
    } catch (err) {
      for (const p of (err as VigilError).details as string[]) {
        const cam = /^\/cameras\/(\d+)(.*)$/.exec(p);
        out.push(
          cam ? `/cameras/${cam[1]}/storage${cam[2]}` : `/servers/${i}/storage${p.startsWith('/') ? p : `: ${p}`}`,
        );
      }
    }
  });
  // Overrides of cameras whose home server is unknown are checked too.
  const serverIds = new Set<unknown>(c.servers.map((s) => s.id));
  const orphans = [...overrides].filter(([server]) => !serverIds.has(server)).flatMap(([, cams]) => cams);
  if (orphans.length) {
    try {
      parseStorageSettings({ paths: '/' }, Object.fromEntries(orphans.map(([j, cam]) => [String(j), cam.storage])));
    } catch (err) {
      for (const p of (err as VigilError).details as string[])
        out.push(p.replace(/^\/cameras\/(\d+)/, '/cameras/$1/storage'));
    }
  }
  return out;
}

/**
 * What is wrong with a camera URL, if anything; never the URL itself (it may hold a password).
 * Whitespace and control characters are refused: URL parsers, ffmpeg and redaction disagree on
 * where such a URL's parts end; a space in a password is written %20 (percent-encoding is kept).
 */
function cameraUrlProblem(url: string): string | undefined {
  // biome-ignore lint/suspicious/noControlCharactersInRegex: control characters are what is refused
  if (/[\s\u0000-\u001f\u007f]/.test(url))
    return 'the URL holds whitespace or a control character (write a space in a password as %20)';
  try {
    const u = new URL(url);
    if ((u.protocol === 'rtsp:' || u.protocol === 'rtsps:') && u.hostname.length > 0) return undefined;
  } catch {
    // not a URL at all: the same answer
  }
  return 'not a valid rtsp:// or rtsps:// URL';
}

function warnings(c: FarmConfig): string[] {
  const out: string[] = [];
  for (const g of c.groups) {
    if (!g.redundancy) continue;
    const members = c.servers.filter((s) => s.group === g.id);
    const holding = members.filter((s) => c.cameras.some((cam) => cam.server === s.id));
    if (g.policy === 'spare' && holding.length === members.length)
      out.push(`group ${g.id} has redundancy on but no redundant server (one with 0 cameras): it cannot fail over`);
    if (g.policy === 'distribute' && members.length < 2)
      out.push(`group ${g.id} distributes but has one server: it cannot fail over`);
    if (g.policy === 'hot')
      for (const s of holding)
        if (!members.some((h) => h.hotStandbyFor === s.id))
          out.push(
            `server ${s.id} in hot-standby group ${g.id} has no hot standby: its cameras go to a spare, if one is free`,
          );
  }
  return out;
}

function dedupe(xs: string[]): string[] {
  return [...new Set(xs)];
}

function invalid(problems: string[]): VigilError {
  return refused('CONFIG_INVALID', 'configuration', problems);
}
