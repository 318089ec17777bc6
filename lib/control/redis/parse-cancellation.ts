// Parsing of the scheduler's cancellation messages (protocol §2.8), and the `Worker:Redis` settings they arrive by
// (to-redis-target.ts reads the connection string).
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
  /**
   * StackExchange form `host1:port,host2:port,serviceName=…,password=…,ssl=true,defaultDatabase=n,…` (several
   * endpoints tried in turn, Sentinel with serviceName; docs/configuration.md, Redis) or a `redis://` / `rediss://` URL.
   */
  readonly connectionString: string;
  readonly password?: string | undefined;
  readonly database?: number | undefined;
  readonly cancellationChannel?: string | undefined;
}
