// Maps validated appsettings (PascalCase, unset keys absent) to the camelCase WorkerConfig with every default
// filled in. The defaults are core/vocabulary/defaults.ts's WorkerDefaults, which follow the .NET code (protocol §4.8–§4.11).
import { WorkerDefaults as D } from '../../core/vocabulary/defaults.js';
import type { AppSettings } from './config-schema.js';
import { toConfigNotes } from './to-config-notes.js';
import type { JobConsumerConfig, WorkerConfig } from './worker-config.js';
import type { RateLimit } from '../../core/vocabulary/types.js';

/** What the machine-dependent defaults are computed from. */
export interface MachineFacts {
  readonly hostname: string;
  /** `os.availableParallelism()`. */
  readonly parallelism: number;
  /** Whether stdout is a terminal (the default log format: text on a TTY, json otherwise). */
  readonly stdoutIsTty?: boolean;
}

/** Fills every default into validated appsettings and renames the keys to camelCase. */
export function toWorkerConfig(settings: AppSettings, machine: MachineFacts): WorkerConfig {
  const w = settings.Worker ?? {};
  const rabbit = w.RabbitMQ ?? {};
  const heartbeat = w.Heartbeat ?? {};
  const outbox = w.OfflineResilience ?? {};
  const health = w.HealthCheck ?? {};
  const heartbeatIntervalSeconds = heartbeat.IntervalSeconds ?? D.heartbeat.intervalSeconds;
  const ssl = rabbit.Ssl ?? D.rabbitMq.ssl;
  const connectionString = w.Redis ? (w.Redis.ConnectionString ?? D.redis.connectionString).trim() : '';
  const maxParallelJobs = w.MaxParallelJobs ?? Math.max(1, machine.parallelism) * 2;
  // Hosts wins; a Host with commas is the same list.
  const source = w.ExternalScheduler?.Source?.trim();
  const notes = toConfigNotes(settings);
  const hostsKey = rabbit.Hosts !== undefined ? 'Hosts' : rabbit.Host !== undefined && rabbit.Host.length > 1 ? 'Host' : undefined;
  return {
    worker: {
      // The scheduler splits Redis keys on ':', so a host name's ':' (or blank) must not reach the WorkerId.
      workerId: w.WorkerId ?? (machine.hostname.replace(/[\s:]+/g, '-') || 'worker'),
      maxParallelJobs,
      executionTimeoutSeconds: w.ExecutionTimeoutSeconds ?? D.executionTimeoutSeconds,
      shutdownTimeoutSeconds: w.ShutdownTimeoutSeconds ?? D.shutdownTimeoutSeconds,
      maxMessageBytes: w.MaxMessageBytes ?? D.maxMessageBytes,
      maxCrashRedeliveries: w.MaxCrashRedeliveries ?? D.maxCrashRedeliveries,
      sharedOccurrenceRecords: w.SharedOccurrenceRecords ?? D.sharedOccurrenceRecords,
      logLevel: w.LogLevel ?? D.logLevel,
      logFormat: w.LogFormat ?? (machine.stdoutIsTty ? 'text' : 'json'),
      startupConnectionTimeoutSeconds: w.StartupConnectionTimeoutSeconds ?? D.startupConnectionTimeoutSeconds,
      rabbitMq: {
        host: rabbit.Hosts?.[0] ?? rabbit.Host?.[0] ?? D.rabbitMq.host,
        hosts: hostsKey === undefined ? undefined : rabbit[hostsKey],
        ...(hostsKey === undefined ? {} : { hostsKey }),
        // TLS listens on 5671 by convention; a plain 5672 default with Ssl on would never connect.
        port: rabbit.Port ?? (ssl ? D.rabbitMq.tlsPort : D.rabbitMq.port),
        username: rabbit.Username ?? D.rabbitMq.username,
        password: rabbit.Password ?? D.rabbitMq.password,
        virtualHost: rabbit.VirtualHost ?? D.rabbitMq.virtualHost,
        url: rabbit.Url?.trim() || undefined,
        ssl,
        queueType: rabbit.QueueType ?? D.rabbitMq.queueType,
        persistentStatusMessages: rabbit.PersistentStatusMessages ?? D.rabbitMq.persistentStatusMessages,
        consumerTimeoutSeconds: rabbit.ConsumerTimeoutSeconds ?? D.rabbitMq.consumerTimeoutSeconds,
        logBatching: rabbit.LogBatching ?? D.rabbitMq.logBatching,
      },
      redis:
        w.Redis === undefined || connectionString === ''
          ? undefined
          : {
              connectionString,
              password: w.Redis.Password || undefined,
              database: w.Redis.Database ?? D.redis.database,
              cancellationChannel: w.Redis.CancellationChannel ?? D.redis.cancellationChannel,
            },
      heartbeat: {
        enabled: heartbeat.Enabled ?? D.heartbeat.enabled,
        intervalSeconds: heartbeatIntervalSeconds,
        jobHeartbeatIntervalSeconds: heartbeat.JobHeartbeatIntervalSeconds ?? D.heartbeat.jobHeartbeatIntervalSeconds,
      },
      offlineResilience: {
        enabled: outbox.Enabled ?? D.offlineResilience.enabled,
        localStoragePath: outbox.LocalStoragePath ?? D.offlineResilience.localStoragePath,
        syncIntervalSeconds: outbox.SyncIntervalSeconds ?? D.offlineResilience.syncIntervalSeconds,
        maxSyncRetries: outbox.MaxSyncRetries ?? D.offlineResilience.maxSyncRetries,
        cleanupIntervalHours: outbox.CleanupIntervalHours ?? D.offlineResilience.cleanupIntervalHours,
        recordRetentionDays: outbox.RecordRetentionDays ?? D.offlineResilience.recordRetentionDays,
        maxPendingEntries: outbox.MaxPendingEntries ?? D.offlineResilience.maxPendingEntries,
        maxPendingBytes: outbox.MaxPendingBytes,
        maxPendingAgeSeconds: outbox.MaxPendingAgeSeconds ?? D.offlineResilience.maxPendingAgeSeconds,
        diskSpaceReserveBytes: outbox.DiskSpaceReserveBytes,
        diskSpaceWarningBytes: outbox.DiskSpaceWarningBytes,
        coalesceStatuses: outbox.CoalesceStatuses ?? D.offlineResilience.coalesceStatuses,
      },
      healthCheck: {
        enabled: health.Enabled ?? D.healthCheck.enabled,
        liveFilePath: health.LiveFilePath ?? D.healthCheck.liveFilePath,
        readyFilePath: health.ReadyFilePath ?? D.healthCheck.readyFilePath,
        intervalSeconds: health.IntervalSeconds ?? D.healthCheck.intervalSeconds,
        httpHost: health.HttpHost ?? D.healthCheck.httpHost,
        httpPort: health.HttpPort,
        // Three missed heartbeats at the least: a long interval must not make a healthy worker look silent.
        maxHeartbeatSilenceSeconds: health.MaxHeartbeatSilenceSeconds ?? Math.max(D.healthCheck.maxHeartbeatSilenceSeconds, 3 * heartbeatIntervalSeconds),
      },
      ...(source ? { externalScheduler: { source } } : {}),
    },
    jobConsumers: Object.fromEntries(Object.entries(settings.JobConsumers ?? {}).map(([name, c]) => [name, toJobConsumerConfig(c, maxParallelJobs)])),
    ...(notes.length > 0 ? { notes } : {}),
  };
}

function toJobConsumerConfig(c: NonNullable<AppSettings['JobConsumers']>[string], workerMaxParallelJobs: number): JobConsumerConfig {
  // Unset keys are left out (not set to undefined), so the job's defineJob() defaults apply.
  const pairs: [keyof JobConsumerConfig, unknown][] = [
    ['consumerId', c.ConsumerId],
    ['routingPattern', c.RoutingPattern],
    ['maxParallelJobs', c.MaxParallelJobs === 0 ? workerMaxParallelJobs : c.MaxParallelJobs],
    ['workerId', c.WorkerId],
    ['executionTimeoutSeconds', c.ExecutionTimeoutSeconds],
    ['maxRetries', c.MaxRetries],
    ['baseRetryDelaySeconds', c.BaseRetryDelaySeconds],
    ['logUserFriendlyLogsViaLogger', c.LogUserFriendlyLogsViaLogger],
    ['rateLimit', c.RateLimit === undefined ? undefined : toRateLimit(c.RateLimit)],
    ['maxParallelJobsGlobal', c.MaxParallelJobsGlobal],
  ];
  return Object.fromEntries(pairs.filter(([, value]) => value !== undefined)) as JobConsumerConfig;
}

function toRateLimit(r: NonNullable<NonNullable<AppSettings['JobConsumers']>[string]['RateLimit']>): RateLimit {
  const pairs: [keyof RateLimit, unknown][] = [
    ['count', r.Count],
    ['periodSeconds', r.PeriodSeconds],
    ['scope', r.Scope?.toLowerCase()],
    ['key', r.KeyPath],
    ['maxKeys', r.MaxKeys],
  ];
  return Object.fromEntries(pairs.filter(([, value]) => value !== undefined)) as unknown as RateLimit;
}
