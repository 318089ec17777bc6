// milvaion-worker/host: configuration, discovery, the worker host, probes, metrics and the CLI's entry.
export { loadConfig, describeConfig, redactConfig, ConfigError, type ConfigProblem, type LoadConfigOptions } from './load-config.ts';
/** The validated configuration types. */
export type { WorkerConfig, WorkerSectionConfig, JobConsumerConfig, RabbitMqConfig, RedisConfig, HeartbeatConfig, OfflineResilienceConfig, HealthCheckConfig } from './worker-config.ts';
export { discoverModules, listModules, type DiscoveredModules } from './discover-modules.ts';
export { createWorkerHost, groupJobsByWorker, matchJobsToConfig, consumerEntry, type WorkerHost, type WorkerHostOptions } from './create-worker-host.ts';
export { toHealthReport, type HealthReport, type HealthCheck, type HealthStatus } from './to-health-report.ts';
export { createHealthServer, type HealthServer } from './create-health-server.ts';
export { createHealthFiles, type HealthFiles } from './create-health-files.ts';
export { createMetrics, DURATION_BUCKETS, type Metrics } from './create-metrics.ts';
export { main, ExitCode } from './cli.ts';
