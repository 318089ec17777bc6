// Maps validated appsettings (PascalCase, unset keys absent) to the camelCase WorkerConfig with every default
// filled in. The defaults are those of worker-config.ts, which follow the .NET code (protocol §4.8–§4.11).
import type { AppSettings } from './config-schema.js';
import type { JobConsumerConfig, WorkerConfig } from './worker-config.js';

/** What the machine-dependent defaults are computed from. */
export interface MachineFacts {
  readonly hostname: string;
  /** `os.availableParallelism()`. */
  readonly parallelism: number;
}

/** Fills every default into validated appsettings and renames the keys to camelCase. */
export function toWorkerConfig(settings: AppSettings, machine: MachineFacts): WorkerConfig {
  const w = settings.Worker ?? {};
  const rabbit = w.RabbitMQ ?? {};
  const heartbeat = w.Heartbeat ?? {};
  const outbox = w.OfflineResilience ?? {};
  const health = w.HealthCheck ?? {};
  const ssl = rabbit.Ssl ?? false;
  const connectionString = w.Redis ? (w.Redis.ConnectionString ?? 'localhost:6379').trim() : '';
  const maxParallelJobs = w.MaxParallelJobs ?? Math.max(1, machine.parallelism) * 2;
  return {
    worker: {
      // The scheduler splits Redis keys on ':', so a host name's ':' (or blank) must not reach the WorkerId.
      workerId: w.WorkerId ?? (machine.hostname.replace(/[\s:]+/g, '-') || 'worker'),
      maxParallelJobs,
      executionTimeoutSeconds: w.ExecutionTimeoutSeconds ?? 3600,
      shutdownTimeoutSeconds: w.ShutdownTimeoutSeconds ?? 30,
      maxMessageBytes: w.MaxMessageBytes ?? 4 * 1024 * 1024,
      logLevel: w.LogLevel ?? 'info',
      rabbitMq: {
        host: rabbit.Host ?? 'localhost',
        // TLS listens on 5671 by convention; a plain 5672 default with Ssl on would never connect.
        port: rabbit.Port ?? (ssl ? 5671 : 5672),
        username: rabbit.Username ?? 'guest',
        password: rabbit.Password ?? 'guest',
        virtualHost: rabbit.VirtualHost ?? '/',
        url: rabbit.Url?.trim() || undefined,
        ssl,
        queueType: rabbit.QueueType ?? 'Classic',
        persistentStatusMessages: rabbit.PersistentStatusMessages ?? true,
        consumerTimeoutSeconds: rabbit.ConsumerTimeoutSeconds ?? 1800,
      },
      redis:
        w.Redis === undefined || connectionString === ''
          ? undefined
          : {
              connectionString,
              password: w.Redis.Password || undefined,
              database: w.Redis.Database ?? 0,
              cancellationChannel: w.Redis.CancellationChannel ?? 'Milvaion:JobScheduler:cancellation_channel',
            },
      heartbeat: {
        enabled: heartbeat.Enabled ?? true,
        intervalSeconds: heartbeat.IntervalSeconds ?? 30,
        jobHeartbeatIntervalSeconds: heartbeat.JobHeartbeatIntervalSeconds ?? 60,
      },
      offlineResilience: {
        enabled: outbox.Enabled ?? true,
        localStoragePath: outbox.LocalStoragePath ?? './worker_data',
        syncIntervalSeconds: outbox.SyncIntervalSeconds ?? 30,
        maxSyncRetries: outbox.MaxSyncRetries ?? 3,
        cleanupIntervalHours: outbox.CleanupIntervalHours ?? 1,
        recordRetentionDays: outbox.RecordRetentionDays ?? 1,
        maxPendingEntries: outbox.MaxPendingEntries ?? 100_000,
        maxPendingAgeSeconds: outbox.MaxPendingAgeSeconds ?? 3600,
        coalesceStatuses: outbox.CoalesceStatuses ?? true,
      },
      healthCheck: {
        enabled: health.Enabled ?? false,
        liveFilePath: health.LiveFilePath ?? '/tmp/live',
        readyFilePath: health.ReadyFilePath ?? '/tmp/ready',
        intervalSeconds: health.IntervalSeconds ?? 30,
        httpHost: health.HttpHost ?? '127.0.0.1',
        httpPort: health.HttpPort,
      },
    },
    jobConsumers: Object.fromEntries(Object.entries(settings.JobConsumers ?? {}).map(([name, c]) => [name, toJobConsumerConfig(c, maxParallelJobs)])),
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
  ];
  return Object.fromEntries(pairs.filter(([, value]) => value !== undefined)) as JobConsumerConfig;
}
