// The Worker and Logging sections that upstream Milvaion's worker samples and templates carry, as they carry them
// (written here, not copied from upstream), for the specs of a .NET team's appsettings.json.

/** The Worker section every upstream sample has. */
export const UPSTREAM_WORKER = {
  WorkerId: 'email-worker-01',
  MaxParallelJobs: 128,
  ExecutionTimeoutSeconds: 300,
  HealthCheck: { Enabled: true, LiveFilePath: '/tmp/live', ReadyFilePath: '/tmp/ready', IntervalSeconds: 30 },
  RabbitMQ: { Host: 'rabbitmq', Port: 5672, Username: 'guest', Password: 'guest', VirtualHost: '/' },
  Redis: { ConnectionString: 'redis:6379', Password: '', Database: 0, CancellationChannel: 'Milvaion:JobScheduler:cancellation_channel' },
  Heartbeat: { Enabled: true, IntervalSeconds: 5, JobHeartbeatIntervalSeconds: 60 },
  OfflineResilience: { Enabled: true, LocalStoragePath: './worker_data', SyncIntervalSeconds: 30, MaxSyncRetries: 3, CleanupIntervalHours: 1, RecordRetentionDays: 1 },
};

/** The Logging section of upstream's samples (a host section the worker does not validate). */
export const UPSTREAM_LOGGING = { LogLevel: { Default: 'Information', Microsoft: 'Information', System: 'Information' }, Seq: { Enabled: true, Uri: 'http://seq:5341' } };
