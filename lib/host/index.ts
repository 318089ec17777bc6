// milvaion-worker/host: configuration, discovery, the worker host, probes, metrics and the CLI's entry.
export { loadConfig, describeConfig, redactConfig, ConfigError, type ConfigProblem, type LoadConfigOptions } from './load-config.js';
/** The validated configuration types. */
export type { WorkerConfig, WorkerSectionConfig, JobConsumerConfig, RabbitMqConfig, RedisConfig, HeartbeatConfig, OfflineResilienceConfig, HealthCheckConfig } from './worker-config.js';
export { discoverModules, listModules, type DiscoveredModules } from './discover-modules.js';
export { createWorkerHost, groupJobsByWorker, matchJobsToConfig, consumerEntry, type WorkerHost, type WorkerHostOptions } from './create-worker-host.js';
export { toHealthReport, type HealthReport, type HealthCheck, type HealthStatus } from './to-health-report.js';
export { createHealthServer, type HealthServer } from './create-health-server.js';
export { createHealthFiles, type HealthFiles } from './create-health-files.js';
export { createMetrics, DURATION_BUCKETS, type Metrics } from './create-metrics.js';
export { main, ExitCode } from './cli.js';
