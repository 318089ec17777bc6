// Worker:ExternalScheduler honoured: the options of createExternalReporter() (milvaion-worker/external, which the
// BullMQ bridge reports through) from a loaded appsettings.json, as the .NET Hangfire and Quartz packages read
// theirs: the Worker section's WorkerId, RabbitMQ, Heartbeat and OfflineResilience, and ExternalScheduler:Source.
import type { WorkerConfig } from './worker-config.js';

/** What {@link toExternalReporterOptions} gives: the shape of createExternalReporter()'s options. */
export interface ExternalReporterSettings {
  readonly rabbitmq: WorkerConfig['worker']['rabbitMq'];
  readonly workerId: string;
  /** `Worker:ExternalScheduler:Source`. */
  readonly source: string;
  /** `Worker:OfflineResilience`: the reporter always keeps an outbox (its `Enabled` is not read). */
  readonly outbox: WorkerConfig['worker']['offlineResilience'];
  readonly heartbeatIntervalSeconds: number;
}

/**
 * Maps a loaded configuration to createExternalReporter()'s options. `source` is used when
 * `Worker:ExternalScheduler:Source` is unset; without either it throws, naming the key.
 */
export function toExternalReporterOptions(config: WorkerConfig, defaults: { readonly source?: string } = {}): ExternalReporterSettings {
  const w = config.worker;
  const source = w.externalScheduler?.source ?? defaults.source?.trim();
  if (source === undefined || source === '') {
    throw new TypeError('toExternalReporterOptions: Worker:ExternalScheduler:Source is not set: set it (e.g. "BullMQ") or pass { source }');
  }
  return { rabbitmq: w.rabbitMq, workerId: w.workerId, source, outbox: w.offlineResilience, heartbeatIntervalSeconds: w.heartbeat.intervalSeconds };
}
