// The consumer_timeout watchdog: RabbitMQ closes the channel of a delivery held unacked past its consumer_timeout
// (30 min by default) and redelivers it; a job about to hit it is warned about, once.
import type { TechnicalLogger } from '../../core/vocabulary/types.js';

/** A job running on a delivery: what the watchdog names, and since when it holds the delivery. */
export interface HeldJob {
  readonly label: string;
  readonly since: number;
  warned: boolean;
}

/** A delivery unacked past consumer_timeout makes the broker close the channel and redeliver: say so before, once per job. */
export function watchHeldJobs(flights: ReadonlySet<{ readonly job: HeldJob | undefined }>, consumerTimeoutMs: number, logger: TechnicalLogger): NodeJS.Timeout {
  const watchdog = setInterval(() => {
    const now = Date.now();
    for (const { job } of flights) {
      if (job !== undefined && !job.warned && now - job.since > consumerTimeoutMs * 0.8) {
        job.warned = true;
        logger.warn(`${job.label} has held its delivery for ${Math.round((now - job.since) / 60_000)} min; RabbitMQ's consumer_timeout (${Math.round(consumerTimeoutMs / 60_000)} min) will close the channel and redeliver it`);
      }
    }
  }, Math.min(60_000, consumerTimeoutMs / 10));
  watchdog.unref();
  return watchdog;
}
