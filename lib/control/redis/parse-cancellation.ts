// Parsing of the scheduler's cancellation messages (protocol §2.8) and of Redis connection settings.
import { err, ok, type Result } from 'neverthrow';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** A cancel request for one occurrence. */
export interface CancellationRequest {
  readonly occurrenceId: string;
  readonly jobId: string | undefined;
  readonly reason: string;
}

/**
 * Parses `{"CorrelationId","OccurrenceId","JobId","Reason"}` in any key casing. A payload that is not a JSON
 * object (the legacy publisher sends a bare job id) or names no occurrence UUID is an error, never a throw.
 */
export function parseCancellation(payload: string): Result<CancellationRequest, string> {
  if (payload.length > 64 * 1024) return err(`payload too large (${payload.length} bytes)`);
  let value: unknown;
  try {
    value = JSON.parse(payload);
  } catch {
    return err(`not JSON: ${JSON.stringify(payload.slice(0, 80))}`);
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return err(`not a JSON object: ${JSON.stringify(payload.slice(0, 80))}`);
  const fields = new Map(Object.entries(value).map(([k, v]) => [k.toLowerCase(), v]));
  const text = (key: string) => {
    const v = fields.get(key);
    return typeof v === 'string' && v.trim() !== '' ? v.trim() : undefined;
  };
  const occurrenceId = [text('occurrenceid'), text('correlationid')].find((id) => id !== undefined && UUID.test(id));
  if (occurrenceId === undefined) return err(`no occurrence UUID in OccurrenceId or CorrelationId: ${JSON.stringify(payload.slice(0, 120))}`);
  return ok({
    occurrenceId: occurrenceId.toLowerCase(),
    jobId: text('jobid'),
    reason: (text('reason') ?? 'Cancelled from the scheduler').slice(0, 1000),
  });
}

/** The .NET `Worker:Redis` section. */
export interface RedisSettings {
  /** StackExchange form `host:port,password=…,ssl=true,defaultDatabase=n` or a `redis://` / `rediss://` URL. */
  readonly connectionString: string;
  readonly password?: string | undefined;
  readonly database?: number | undefined;
  readonly cancellationChannel?: string | undefined;
}

/** What node-redis needs, derived from {@link RedisSettings}. */
export interface RedisTarget {
  readonly host: string;
  readonly port: number;
  readonly password: string | undefined;
  readonly username: string | undefined;
  readonly database: number;
  readonly tls: boolean;
}

/** Turns a StackExchange connection string or a Redis URL (plus Password and Database) into a target. */
export function toRedisTarget(settings: RedisSettings): Result<RedisTarget, string> {
  const raw = settings.connectionString.trim();
  if (raw === '') return err('Redis:ConnectionString is empty');
  let target: { host: string; port: number; password?: string | undefined; username?: string | undefined; database?: number | undefined; tls: boolean };
  if (/^rediss?:\/\//i.test(raw)) {
    let url: URL;
    try {
      url = new URL(raw);
    } catch {
      return err('Redis:ConnectionString is not a valid URL');
    }
    const db = url.pathname.replace(/^\//, '');
    target = {
      host: url.hostname,
      port: url.port ? Number(url.port) : 6379,
      password: url.password ? decodeURIComponent(url.password) : undefined,
      username: url.username ? decodeURIComponent(url.username) : undefined,
      database: db ? Number(db) : undefined,
      tls: url.protocol === 'rediss:',
    };
  } else {
    const [endpoint, ...options] = raw.split(',').map((p) => p.trim());
    const m = /^(\[[^\]]+\]|[^:]+)(?::(\d+))?$/.exec(endpoint ?? '');
    if (!m) return err(`Redis:ConnectionString endpoint "${endpoint}" is not host:port`);
    target = { host: m[1]!.replace(/^\[|\]$/g, ''), port: m[2] ? Number(m[2]) : 6379, tls: false };
    for (const option of options) {
      const at = option.indexOf('=');
      if (at < 0) continue;
      const key = option.slice(0, at).trim().toLowerCase();
      const value = option.slice(at + 1).trim();
      if (key === 'password') target.password = value;
      else if (key === 'user') target.username = value;
      else if (key === 'ssl') target.tls = value.toLowerCase() === 'true';
      else if (key === 'defaultdatabase') target.database = Number(value);
    }
  }
  const database = settings.database ?? target.database ?? 0;
  if (!Number.isInteger(target.port) || target.port <= 0 || target.port > 65535) return err(`Redis port ${target.port} is not valid`);
  if (!Number.isInteger(database) || database < 0) return err(`Redis database ${database} is not valid`);
  return ok({
    host: target.host,
    port: target.port,
    password: settings.password ? settings.password : target.password,
    username: target.username,
    database,
    tls: target.tls,
  });
}
