// A short human summary of a loaded worker configuration (for the `check` command); secrets never appear.
import { describeBrokers, toAmqpHosts, toAmqpUrl } from '../../transports/amqp/to-amqp-url.js';
import { redactSecrets } from './redact-config.js';
import type { WorkerConfig } from './worker-config.js';

/** Summarises the configuration in a few lines: worker, RabbitMQ, Redis, heartbeat, outbox, health, job consumers. */
export function describeConfig(config: WorkerConfig): string {
  const { worker, jobConsumers } = config;
  const { rabbitMq: rabbit, redis, heartbeat, offlineResilience: outbox, healthCheck: health } = worker;
  const amqp = toAmqpUrl(rabbit);
  const probes = [
    health.enabled ? `files ${health.liveFilePath} and ${health.readyFilePath} every ${health.intervalSeconds} s` : undefined,
    health.httpPort === undefined ? undefined : `HTTP on ${health.httpHost}:${health.httpPort}`,
  ].filter((p) => p !== undefined);
  const lines = [
    `Worker ${worker.workerId}: up to ${worker.maxParallelJobs} jobs at once, timeout ${worker.executionTimeoutSeconds} s, shutdown wait ${worker.shutdownTimeoutSeconds} s, log level ${worker.logLevel}`,
    `RabbitMQ: ${redactSecrets(describeBrokers(amqp, toAmqpHosts(rabbit)))} (${rabbit.queueType} queues)`,
    redis === undefined
      ? 'Redis: none (cancellation from the scheduler is off)'
      : `Redis: ${redactSecrets(redis.connectionString)}, database ${redis.database}, channel ${redis.cancellationChannel}${redis.password === undefined ? '' : ', with password'}`,
    heartbeat.enabled ? `Heartbeat: every ${heartbeat.intervalSeconds} s, job heartbeat every ${heartbeat.jobHeartbeatIntervalSeconds} s` : 'Heartbeat: off',
    outbox.enabled
      ? `Outbox: ${outbox.localStoragePath}, stops taking jobs at ${outbox.maxPendingEntries} pending entries${outbox.maxPendingBytes === undefined ? '' : `, ${outbox.maxPendingBytes} bytes`} or ${outbox.maxPendingAgeSeconds} s, or when its disk is full`
      : 'Outbox: off',
    `Health: ${probes.length > 0 ? probes.join('; ') : 'off'}`,
  ];
  const names = Object.keys(jobConsumers);
  lines.push(`JobConsumers: ${names.length > 0 ? names.join(', ') : 'none'}`);
  for (const name of names) {
    const c = jobConsumers[name]!;
    const parts = [
      c.consumerId === undefined ? undefined : `consumer ${c.consumerId}`,
      c.maxParallelJobs === undefined ? undefined : `${c.maxParallelJobs} at once`,
      c.executionTimeoutSeconds === undefined ? undefined : `timeout ${c.executionTimeoutSeconds} s`,
      c.maxRetries === undefined ? undefined : `${c.maxRetries} retries`,
      c.baseRetryDelaySeconds === undefined ? undefined : `retry delay ${c.baseRetryDelaySeconds} s`,
      c.maxParallelJobsGlobal === undefined || c.maxParallelJobsGlobal === 0 ? undefined : `${c.maxParallelJobsGlobal} at once across processes`,
      c.rateLimit === undefined
        ? undefined
        : `rate limit ${c.rateLimit.count} per ${c.rateLimit.periodSeconds} s${c.rateLimit.scope === 'shared' ? ' shared' : ''}${typeof c.rateLimit.key === 'string' ? ` per ${c.rateLimit.key}` : ''}`,
    ].filter((p) => p !== undefined);
    if (parts.length > 0) lines.push(`  ${name}: ${parts.join(', ')}`);
  }
  return lines.join('\n');
}
