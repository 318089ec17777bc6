// Merges a job's settings: built-in defaults ← defineJob() defaults ← configuration ← the message itself.
import type { AnyJobDefinition, JobDefaults, JobEnvelope, JobSettings, RateLimit } from '../vocabulary/types.js';

/** The defaults the Milvaion .NET code really uses for a job consumer (protocol §4.11). */
const JOB_SETTING_DEFAULTS = {
  maxParallelJobs: 10,
  executionTimeoutSeconds: 3600,
  maxRetries: 3,
  baseRetryDelaySeconds: 5,
  logUserFriendlyLogsViaLogger: false,
} as const;

/** Resolves the effective settings for one job, optionally for one message (its timeout override wins). */
export function resolveSettings(
  definition: AnyJobDefinition | undefined,
  config: JobDefaults = {},
  envelope?: Pick<JobEnvelope, 'executionTimeoutSeconds'>,
): JobSettings {
  const d = { ...JOB_SETTING_DEFAULTS, ...definition?.defaults, ...stripUndefined(config) };
  const timeoutSeconds = envelope?.executionTimeoutSeconds ?? d.executionTimeoutSeconds;
  return {
    consumerId: d.consumerId ?? definition?.name ?? 'unknown',
    maxParallelJobs: Math.max(1, Math.floor(d.maxParallelJobs)),
    timeoutMs: timeoutSeconds > 0 ? timeoutSeconds * 1000 : 0,
    maxRetries: Math.max(0, Math.floor(d.maxRetries)),
    baseRetryDelayMs: d.baseRetryDelaySeconds * 1000,
    logUserFriendlyLogsViaLogger: d.logUserFriendlyLogsViaLogger,
    routingPattern: d.routingPattern,
    // Merged key by key: a configured count or period keeps the key function given in code.
    maxParallelJobsGlobal: d.maxParallelJobsGlobal !== undefined && d.maxParallelJobsGlobal >= 1 ? Math.floor(d.maxParallelJobsGlobal) : undefined,
    rateLimit: config.rateLimit === undefined ? definition?.defaults.rateLimit : ({ ...definition?.defaults.rateLimit, ...stripUndefined(config.rateLimit) } as RateLimit),
  };
}

function stripUndefined<T extends object>(value: T): Partial<T> {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as Partial<T>;
}
