/**
 * milvaion-worker/host: configuration, discovery, the worker host, probes, metrics and the CLI's entry.
 * @module milvaion-worker/host
 */
export { loadConfig, describeConfig, redactConfig, ConfigError, type ConfigProblem, type LoadConfigOptions } from './config/load-config.js';
/** The validated configuration types. */
export type { WorkerConfig, WorkerSectionConfig, JobConsumerConfig, RabbitMqConfig, RedisConfig, HeartbeatConfig, OfflineResilienceConfig, HealthCheckConfig, ExternalSchedulerConfig } from './config/worker-config.js';
export { toExternalReporterOptions, type ExternalReporterSettings } from './config/to-external-reporter-options.js';
export { discoverModules, listModules, type DiscoveredModules } from './cli/discover-modules.js';
export { createWorkerHost, groupJobsByWorker, matchJobsToConfig, consumerEntry, STOP_MARGIN_MS, type WorkerHost, type WorkerHostOptions } from './create-worker-host.js';
export { toHealthReport, type HealthReport, type HealthCheck, type HealthStatus } from './health/to-health-report.js';
export { createHealthServer, type HealthServer, type HealthServerOptions } from './health/create-health-server.js';
export { createHealthFiles, type HealthFiles, type HealthFilesOptions } from './health/create-health-files.js';
export { createMetrics, DURATION_BUCKETS, type Metrics } from './health/create-metrics.js';
export { main, ExitCode } from './cli/cli.js';
