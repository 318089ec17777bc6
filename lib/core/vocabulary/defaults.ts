// Every default of the worker's configuration, in one place. The config loader fills them into the
// validated WorkerConfig, and createAmqpWorker(), the outbox and the Redis listener fall back to the same
// values. They follow what the .NET SDK's code does (protocol §4.8–§4.11), not its documentation.

/** The defaults of the `Worker` section (appsettings.json), by the camelCase names of WorkerConfig. */
export const WorkerDefaults = {
  executionTimeoutSeconds: 3600,
  shutdownTimeoutSeconds: 30,
  // Milvaion 10.1's ConnectionStartupValidator: RabbitMQ (and Redis) must connect within this at start.
  startupConnectionTimeoutSeconds: 30,
  /** Job messages above this size are dead-lettered unread. */
  maxMessageBytes: 4 * 1024 * 1024,
  /** Redeliveries after a crash that still run; the next is dead-lettered (RabbitMQ 4's quorum delivery limit is 20). */
  maxCrashRedeliveries: 3,
  /** With Redis: every process of a WorkerId shares its finished occurrences and crash counts. */
  sharedOccurrenceRecords: true,
  /**
   * With the shared records: an attempt running 1 s is held for 15 s, refreshed every 5 s; a redelivery that no
   * record explains waits 3 s (longer than an attempt takes to be held), then every second while another holds it.
   */
  attemptLeases: { holdAfterMs: 1000, leaseMs: 15_000, tickMs: 1000, graceMs: 3000, pollMs: 1000 },
  logLevel: 'info',
  rabbitMq: {
    host: 'localhost',
    port: 5672,
    /** The port when `ssl` is on and no port is given (TLS listens on 5671 by convention). */
    tlsPort: 5671,
    username: 'guest',
    password: 'guest',
    virtualHost: '/',
    ssl: false,
    queueType: 'Classic',
    persistentStatusMessages: true,
    /** RabbitMQ's own default consumer_timeout (30 min). */
    consumerTimeoutSeconds: 1800,
    /** Single WorkerLogMessages, which every scheduler reads; true sends Milvaion 10.1's WorkerLogBatchMessage. */
    logBatching: false,
  },
  /** Milvaion 10.1's LogPublisher (fixed there, not settings): a log batch holds at most 50 logs, a log waits at most 500 ms. */
  logBatch: { maxEntries: 50, intervalMs: 500 },
  redis: {
    connectionString: 'localhost:6379',
    database: 0,
    cancellationChannel: 'Milvaion:JobScheduler:cancellation_channel',
  },
  heartbeat: { enabled: true, intervalSeconds: 30, jobHeartbeatIntervalSeconds: 60 },
  offlineResilience: {
    enabled: true,
    localStoragePath: './worker_data',
    syncIntervalSeconds: 30,
    maxSyncRetries: 3,
    cleanupIntervalHours: 1,
    recordRetentionDays: 1,
    maxPendingEntries: 100_000,
    maxPendingAgeSeconds: 3600,
    coalesceStatuses: false,
  },
  healthCheck: {
    enabled: false,
    liveFilePath: '/tmp/live',
    readyFilePath: '/tmp/ready',
    intervalSeconds: 30,
    httpHost: '127.0.0.1',
    /** Not live after this long connected without a heartbeat getting through (the scheduler forgets a worker after 120 s); at least 3 × Heartbeat:IntervalSeconds. */
    maxHeartbeatSilenceSeconds: 120,
  },
} as const;
