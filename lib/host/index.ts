/**
 * milvaion-worker/host: the configuration (appsettings.json) and the worker host with its probes and metrics.
 * @module milvaion-worker/host
 */
export { loadConfig, ConfigError, type ConfigProblem, type LoadConfigOptions } from './config/load-config.js';
/** The validated configuration; its sections are nested members (`WorkerConfig['worker']['rabbitMq']`). */
export type { WorkerConfig } from './config/worker-config.js';
export { toExternalReporterOptions, type ExternalReporterSettings } from './config/to-external-reporter-options.js';
export { discoverModules, type DiscoveredModules } from './cli/discover-modules.js';
export { createWorkerHost, type WorkerHost, type WorkerHostOptions } from './create-worker-host.js';
export type { HealthReport, HealthCheck, HealthStatus } from './health/to-health-report.js';
