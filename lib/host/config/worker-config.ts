// The worker's configuration after loading and validation: the .NET appsettings.json shape (`Worker`,
// `JobConsumers`), in camelCase, with every default filled in. Loading lives in load-config.ts.

import type { RateLimit } from '../../core/vocabulary/types.js';

/** The validated configuration of a worker process. */
export interface WorkerConfig {
  /** The whole `Worker` section. */
  readonly worker: {
    readonly workerId: string; // default: the host name
    readonly maxParallelJobs: number; // default: cores × 2
    readonly executionTimeoutSeconds: number; // 3600
    /** How long a graceful stop waits for running jobs (default 30). */
    readonly shutdownTimeoutSeconds: number;
    /** Job messages above this size are dead-lettered without being parsed (default 4 MiB). */
    readonly maxMessageBytes: number;
    /** Redeliveries after a crash that still run, alone; the next is dead-lettered as Failed (default 3; 0: off). */
    readonly maxCrashRedeliveries: number;
    /** With Redis, every process of the WorkerId shares finished occurrences and crash counts (default true). */
    readonly sharedOccurrenceRecords: boolean;
    readonly logLevel: 'silent' | 'error' | 'warn' | 'info' | 'debug' | 'trace'; // "info"
    /** `json` lines or timestamped `text`; default json when stdout is not a TTY, text on a TTY. */
    readonly logFormat: 'text' | 'json';
    /** RabbitMQ (and Redis when configured) must connect within this at start, else exit 1 (default 30). */
    readonly startupConnectionTimeoutSeconds: number;
    /** `Worker:RabbitMQ`. */
    readonly rabbitMq: {
      readonly host: string; // default "localhost"; the first of `hosts` when there are several
      /** The brokers of a cluster in order (`Hosts`, or a `Host` with commas), each `host` or `host:port`; unset for one. */
      readonly hosts: readonly string[] | undefined;
      /** Which key gave `hosts` (set only with `hosts`), so startup messages name the key the user wrote. */
      readonly hostsKey?: 'Hosts' | 'Host';
      readonly port: number; // 5672
      readonly username: string; // "guest"
      readonly password: string; // "guest"
      readonly virtualHost: string; // "/"
      /** Optional full URL (amqp:// or amqps://); wins over the parts. */
      readonly url: string | undefined;
      /** Use TLS (amqps) when building the URL from the parts. */
      readonly ssl: boolean; // false
      readonly queueType: 'Classic' | 'Quorum'; // "Classic"
      /** Statuses and logs survive a broker restart (delivery mode 2); false: transient, as the .NET SDK. */
      readonly persistentStatusMessages: boolean; // true
      /** The broker's consumer_timeout, for warnings (default 1800). */
      readonly consumerTimeoutSeconds: number;
      /** Logs as Milvaion 10.1's WorkerLogBatchMessage (schedulers since 2026-01-29); false: single messages. */
      readonly logBatching: boolean; // false
    };
    /** `Worker:Redis`; absent (or an empty ConnectionString) means no cancellation. */
    readonly redis: {
      readonly connectionString: string; // default "localhost:6379" only when the section is present
      readonly password: string | undefined;
      readonly database: number; // 0
      readonly cancellationChannel: string; // "Milvaion:JobScheduler:cancellation_channel"
    } | undefined;
    /** `Worker:Heartbeat`. */
    readonly heartbeat: {
      readonly enabled: boolean; // true
      readonly intervalSeconds: number; // 30
      readonly jobHeartbeatIntervalSeconds: number; // 60
    };
    /** `Worker:OfflineResilience` (the LMDB outbox). */
    readonly offlineResilience: {
      readonly enabled: boolean; // true
      readonly localStoragePath: string; // "./worker_data"
      readonly syncIntervalSeconds: number; // 30
      readonly maxSyncRetries: number; // 3
      readonly cleanupIntervalHours: number; // 1
      readonly recordRetentionDays: number; // 1
      readonly maxPendingEntries: number; // 100000
      /** Unset: no byte limit. */
      readonly maxPendingBytes: number | undefined;
      readonly maxPendingAgeSeconds: number; // 3600
      /** Below this room on its disk the outbox writes nothing new and the worker takes no jobs (unset: 5 % of the disk, at most 64 MiB). */
      readonly diskSpaceReserveBytes: number | undefined;
      /** Below this room the disk is reported nearly full (unset: 20 % of the disk, at most 1 GiB). */
      readonly diskSpaceWarningBytes: number | undefined;
      readonly coalesceStatuses: boolean; // true
    };
    /** `Worker:HealthCheck`: probe files (console workers) and/or an HTTP endpoint (API workers). */
    readonly healthCheck: {
      readonly enabled: boolean; // false
      /** The .NET defaults are swapped (LiveFilePath "/tmp/ready"); ours are not. */
      readonly liveFilePath: string; // "/tmp/live"
      readonly readyFilePath: string; // "/tmp/ready"
      readonly intervalSeconds: number; // 30
      /** HTTP probes and metrics; off unless `Port` is set. */
      readonly httpHost: string; // "127.0.0.1"
      readonly httpPort: number | undefined;
      /**
       * Liveness fails once a worker has been connected this long without a heartbeat getting through (alive but
       * unheard: the scheduler counts it as gone); 0: never. Default 120, or 3 × `Heartbeat:IntervalSeconds` if larger.
       */
      readonly maxHeartbeatSilenceSeconds: number;
    };
    /**
     * `Worker:ExternalScheduler` (the .NET SDK's MilvaionExternalSchedulerOptions), for an external reporter
     * (toExternalReporterOptions()); a worker host does not read it. Absent when `Source` is unset or blank.
     */
    readonly externalScheduler?: {
      /** The external scheduler's name (`Hangfire`, `Quartz`, `BullMQ`…), as the dashboard shows it. */
      readonly source: string;
    } | undefined;
  };
  /**
   * Keyed by job name, exactly as in appsettings.json: each is one `JobConsumers:{JobName}` entry, whose unset keys
   * fall back to the job's defineJob() defaults.
   */
  readonly jobConsumers: Readonly<
    Record<
      string,
      {
        readonly consumerId?: string | undefined;
        readonly routingPattern?: string | undefined;
        readonly maxParallelJobs?: number | undefined;
        readonly executionTimeoutSeconds?: number | undefined;
        readonly maxRetries?: number | undefined;
        readonly baseRetryDelaySeconds?: number | undefined;
        readonly logUserFriendlyLogsViaLogger?: boolean | undefined;
        /** `RateLimit`: at most `count` starts per `periodSeconds` (`key`: the KeyPath), over defineJob's `rateLimit`. */
        readonly rateLimit?: RateLimit | undefined;
        /** At most this many running at once across every process of the WorkerId, retries included (0: none). */
        readonly maxParallelJobsGlobal?: number | undefined;
        /** Runs the job under this logical worker instead of `Worker:WorkerId` ("Multiple Worker IDs"). */
        readonly workerId?: string | undefined;
      }
    >
  >;
  /**
   * One info line per accepted key that means nothing here (read only by the .NET SDK or the scheduler, or by
   * neither), for the host to log at start; absent when there is none.
   */
  readonly notes?: readonly string[] | undefined;
}

/** One `JobConsumers:{JobName}` entry. */
export type JobConsumerConfig = WorkerConfig['jobConsumers'][string];

/** `Worker:Redis`, when configured. */
export type RedisConfig = NonNullable<WorkerConfig['worker']['redis']>;
