// The one start warning about job timeouts: a run longer than RabbitMQ's consumer_timeout loses its delivery.
import type { TechnicalLogger } from '../core/vocabulary/types.js';
import type { ConsumedJob } from '../transports/amqp/create-amqp-source.js';

/**
 * Warns once about the jobs whose timeout reaches the broker's consumer_timeout. Only a timeout someone chose
 * (`setByUser`: its defineJob() defaults or its configuration, not the built-in 3600 s) is warned about.
 */
export function warnAboutOverlongJobs(jobs: readonly ConsumedJob[], consumerTimeoutMs: number, logger: TechnicalLogger, setByUser: (jobName: string) => boolean): void {
  const overlong = jobs.filter((j) => (j.settings.timeoutMs === 0 || j.settings.timeoutMs >= consumerTimeoutMs) && setByUser(j.definition.name));
  if (overlong.length === 0) return;
  logger.warn(
    `${overlong.map((j) => `${j.definition.name} (${j.settings.timeoutMs / 1000 || 'no'} s timeout)`).join(', ')}: a run longer than RabbitMQ's consumer_timeout (${consumerTimeoutMs / 1000} s) makes the broker close the channel and redeliver the job. Raise consumer_timeout on the broker (and set ConsumerTimeoutSeconds) or lower ExecutionTimeoutSeconds.`,
  );
}
