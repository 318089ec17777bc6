// Where the worker's Redis is: Worker:Redis:ConnectionString in StackExchange.Redis's form (what a .NET team
// pastes: several endpoints, Sentinel's serviceName, its options) or a redis:// / rediss:// URL, read in full.
// An option this runtime does not know is an error that names it, never silently dropped (docs/configuration.md, Redis).
import { err, ok, type Result } from 'neverthrow';
import type { RedisSettings } from './parse-cancellation.js';

/** One Redis node (or, with a service name, one Sentinel). */
export interface RedisEndpoint {
  readonly host: string;
  readonly port: number;
}

/** What node-redis needs, derived from {@link RedisSettings}. */
export interface RedisTarget {
  /** The nodes, tried in turn on connect and on every reconnect; with `serviceName`, the Sentinels to ask. */
  readonly endpoints: readonly RedisEndpoint[];
  /** Sentinel's name of the primary (`serviceName=`): the endpoints are Sentinels, the primary is asked of them. */
  readonly serviceName: string | undefined;
  readonly password: string | undefined;
  readonly username: string | undefined;
  readonly database: number;
  readonly tls: boolean;
  /** The name the TLS certificate is checked against (`sslHost=`); default each endpoint's host. */
  readonly tlsServername: string | undefined;
  /** Milliseconds one connection attempt to one endpoint may take (`connectTimeout=`, default 5000). */
  readonly connectTimeoutMs: number;
  /** Milliseconds a command may wait for its reply (`asyncTimeout=`, else `syncTimeout=`, default 5000). */
  readonly commandTimeoutMs: number;
  /** `abortConnect=` (default true): false lets the worker start without Redis and connect later. */
  readonly abortConnect: boolean;
  /** `CLIENT SETNAME` (`name=`). */
  readonly clientName: string | undefined;
  /** StackExchange options that were accepted but mean nothing here, with why (for a note, never a secret). */
  readonly ignoredOptions: readonly string[];
}

const DEFAULT_TIMEOUT_MS = 5000;

type Mutable<T> = { -readonly [K in keyof T]: T[K] };
type Option = (value: string, into: Mutable<Partial<RedisTarget>>) => string | undefined;

const flag = (key: string, set: (b: boolean, into: Mutable<Partial<RedisTarget>>) => void): Option => (value, into) => {
  const v = value.toLowerCase();
  if (v !== 'true' && v !== 'false') return `${key} must be true or false, found "${value}"`;
  set(v === 'true', into);
  return undefined;
};
const whole = (key: string, min: number, set: (n: number, into: Mutable<Partial<RedisTarget>>) => void): Option => (value, into) => {
  const n = /^\d+$/.test(value) ? Number(value) : NaN;
  if (!Number.isSafeInteger(n) || n < min) return `${key} must be a whole number ≥ ${min}, found "${value}"`;
  set(n, into);
  return undefined;
};
const ignored = (why: string): Option => (_value, into) => {
  into.ignoredOptions = [...(into.ignoredOptions ?? []), why];
  return undefined;
};

// StackExchange's option names, lower-cased (they are case-insensitive). Each is read, or accepted with a
// reason it means nothing here; anything else is refused.
const OPTIONS: Readonly<Record<string, Option>> = {
  password: (value, into) => void (into.password = value === '' ? undefined : value),
  user: (value, into) => void (into.username = value === '' ? undefined : value),
  ssl: flag('ssl', (b, into) => void (into.tls = b)),
  sslhost: (value, into) => void (into.tlsServername = value),
  servicename: (value, into) => void (into.serviceName = value === '' ? undefined : value),
  defaultdatabase: whole('defaultDatabase', 0, (n, into) => void (into.database = n)),
  abortconnect: flag('abortConnect', (b, into) => void (into.abortConnect = b)),
  connecttimeout: whole('connectTimeout', 1, (n, into) => void (into.connectTimeoutMs = n)),
  asynctimeout: whole('asyncTimeout', 1, (n, into) => void (into.commandTimeoutMs = n)),
  synctimeout: whole('syncTimeout', 1, (n, into) => void (into.commandTimeoutMs ??= n)),
  name: (value, into) => void (into.clientName = value === '' ? undefined : value),
  allowadmin: ignored('allowAdmin (the worker sends no admin command)'),
  keepalive: ignored('keepAlive (the worker pings every 5 s to notice a cut network)'),
  connectretry: ignored('connectRetry (the worker keeps trying every endpoint until Worker:StartupConnectionTimeoutSeconds)'),
  tiebreaker: ignored('tiebreaker (the worker asks each node its ROLE and prefers the primary)'),
  configchannel: ignored('configChannel (the worker does not follow StackExchange configuration broadcasts)'),
  configcheckseconds: ignored('configCheckSeconds (a node is chosen again on every reconnect)'),
  resolvedns: ignored('resolveDns (host names are resolved on every connect)'),
  version: ignored('version (the worker needs no server version)'),
  checkcertificaterevocation: ignored('checkCertificateRevocation (Node checks the certificate chain, not revocation lists)'),
  sslprotocols: ignored("sslProtocols (Node's TLS defaults apply)"),
  setlib: ignored('setlib (no CLIENT SETINFO is sent)'),
  protocol: ignored('protocol (node-redis chooses RESP itself)'),
  responsetimeout: ignored('responseTimeout (obsolete in StackExchange.Redis too)'),
  writebuffer: ignored('writeBuffer (obsolete in StackExchange.Redis too)'),
  highprioritysocketthreads: ignored('highPrioritySocketThreads (a .NET threading setting)'),
  channelprefix: (value) => (value === '' ? undefined : 'channelPrefix is not supported: put the prefix in Worker:Redis:CancellationChannel instead'),
  proxy: (value) => (/^none$/i.test(value) ? undefined : `proxy=${value} is not supported: the worker talks to Redis nodes or Sentinels directly`),
};

/** Turns a StackExchange connection string or a Redis URL (plus Password and Database) into a target. */
export function toRedisTarget(settings: RedisSettings): Result<RedisTarget, string> {
  const raw = settings.connectionString.trim();
  if (raw === '') return err('Redis:ConnectionString is empty');
  const parsed = /^rediss?:\/\//i.test(raw) ? fromUrl(raw) : fromStackExchange(raw);
  if (parsed.isErr()) return err(parsed.error);
  const t = parsed.value;
  const database = settings.database ?? t.database ?? 0;
  if (!Number.isInteger(database) || database < 0) return err(`Redis database ${database} is not valid`);
  return ok({
    endpoints: t.endpoints ?? [],
    serviceName: t.serviceName,
    password: settings.password ? settings.password : t.password,
    username: t.username,
    database,
    tls: t.tls ?? false,
    tlsServername: t.tlsServername,
    connectTimeoutMs: t.connectTimeoutMs ?? DEFAULT_TIMEOUT_MS,
    commandTimeoutMs: t.commandTimeoutMs ?? DEFAULT_TIMEOUT_MS,
    abortConnect: t.abortConnect ?? true,
    clientName: t.clientName,
    ignoredOptions: t.ignoredOptions ?? [],
  });
}

function fromUrl(raw: string): Result<Partial<RedisTarget>, string> {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    return err('Redis:ConnectionString is not a valid URL');
  }
  const db = url.pathname.replace(/^\//, '');
  const port = url.port ? Number(url.port) : 6379;
  const database = db ? Number(db) : undefined;
  if (database !== undefined && (!Number.isInteger(database) || database < 0)) return err(`Redis database "${db}" in the URL is not a whole number`);
  return ok({
    endpoints: [{ host: url.hostname.replace(/^\[|\]$/g, ''), port }],
    password: url.password ? decodeURIComponent(url.password) : undefined,
    username: url.username ? decodeURIComponent(url.username) : undefined,
    ...(database === undefined ? {} : { database }),
    tls: url.protocol === 'rediss:',
  });
}

/** `host[:port]`, `[v6]:port`, … and `key=value` options, comma-separated, in any order (as StackExchange reads them). */
function fromStackExchange(raw: string): Result<Partial<RedisTarget>, string> {
  const into: Mutable<Partial<RedisTarget>> = {};
  const hosts: string[] = [];
  for (const token of raw.split(',').map((p) => p.trim())) {
    if (token === '') continue;
    const at = token.indexOf('=');
    if (at < 0) {
      hosts.push(token);
      continue;
    }
    const key = token.slice(0, at).trim();
    const option = OPTIONS[key.toLowerCase()];
    if (key.startsWith('$')) return err(`Redis:ConnectionString renames the command ${key.slice(1)}: command maps are not supported`);
    if (option === undefined) return err(`Redis:ConnectionString has an unknown option "${key}"; known options: ${KNOWN}`);
    const problem = option(token.slice(at + 1).trim(), into);
    if (problem !== undefined) return err(`Redis:ConnectionString: ${problem}`);
  }
  if (hosts.length === 0) return err('Redis:ConnectionString names no host (host:port, several separated by commas)');
  // StackExchange's default ports: 26379 for Sentinels, 6380 with TLS, else 6379.
  const defaultPort = into.serviceName !== undefined ? 26379 : into.tls === true ? 6380 : 6379;
  const endpoints: RedisEndpoint[] = [];
  for (const host of hosts) {
    const endpoint = toEndpoint(host, defaultPort);
    if (endpoint.isErr()) return err(endpoint.error);
    endpoints.push(endpoint.value);
  }
  into.endpoints = endpoints;
  return ok(into);
}

const KNOWN = 'password, user, ssl, sslHost, serviceName, defaultDatabase, abortConnect, connectTimeout, asyncTimeout, syncTimeout, name (and, accepted but unused, allowAdmin, keepAlive, connectRetry, tiebreaker, …)';

function toEndpoint(text: string, defaultPort: number): Result<RedisEndpoint, string> {
  const m = /^(?:\[([^\]]+)\]|([^:[\]]+))(?::(\d*))?$/.exec(text);
  if (!m) {
    const hint = (text.match(/:/g) ?? []).length > 1 ? ' (write an IPv6 address in brackets: [::1]:6379)' : '';
    return err(`Redis:ConnectionString endpoint "${text}" is not host:port${hint}`);
  }
  const host = (m[1] ?? m[2])!.trim();
  const port = m[3] === undefined || m[3] === '' ? defaultPort : Number(m[3]);
  if (!Number.isInteger(port) || port < 1 || port > 65535) return err(`Redis:ConnectionString endpoint "${text}": port ${m[3]} is not from 1 to 65535`);
  return ok({ host, port });
}
