// Milvaion's RabbitMQ names and naming rules (protocol §1.1–§1.3). Hard-coded upstream; keep them exact.

/** Exchanges, routing keys and queues as the Milvaion scheduler and .NET workers name them. */
export const MilvaionNames = {
  jobsExchange: 'jobs.topic',
  deadLetterExchange: 'dlx_scheduled_jobs',
  deadLetterRoutingKey: 'failed_jobs',
  jobsQueuePrefix: 'scheduled_jobs_queue',
  workerLogsQueue: 'worker_logs_queue',
  workerHeartbeatQueue: 'worker_heartbeat_queue',
  workerRegistrationQueue: 'worker_registration_queue',
  statusUpdatesQueue: 'job_status_updates_queue',
  failedOccurrencesQueue: 'failed_jobs_queue',
  /** Milvaion 10.1: job definitions of an external scheduler (declared durable, without arguments). */
  externalJobRegistrationQueue: 'external_job_registration_queue',
  /** Milvaion 10.1: executions of an external scheduler's jobs. */
  externalJobOccurrenceQueue: 'external_job_occurrence_queue',
} as const;

/** Our own retry-delay queues start with this prefix, which no Milvaion name uses. */
const RETRY_QUEUE_PREFIX = 'milvaion-worker.retry-delay';

/** The .NET routing-pattern convention: `{workerid lower}.{job name without trailing "Job", lower}.*`. */
export function toRoutingPattern(workerId: string, jobName: string): string {
  const base = jobName.replace(/job$/i, '');
  return `${workerId.toLowerCase()}.${base.toLowerCase()}.*`;
}

/** The job queue of a routing pattern: `scheduled_jobs_queue.{pattern, * → wildcard, # → all}`. */
export function toJobQueueName(routingPattern: string): string {
  return `${MilvaionNames.jobsQueuePrefix}.${routingPattern.replaceAll('*', 'wildcard').replaceAll('#', 'all')}`;
}

/** The routing key the scheduler publishes a job with: the pattern with `*` → `job`, `..` → `.`. */
export function toDispatchRoutingKey(routingPattern: string): string {
  return routingPattern.replaceAll('*', 'job').replaceAll('..', '.');
}

/**
 * The delay queue that holds retries of one job queue for `delayMs`, then dead-letters them back. A quorum one
 * has a name of its own: it dead-letters at least once (see create-republisher.ts), and a queue that existed
 * with other arguments would refuse the declare.
 */
export function toRetryQueueName(jobQueue: string, delayMs: number, queueType: 'Classic' | 'Quorum' = 'Classic'): string {
  return `${RETRY_QUEUE_PREFIX}.${jobQueue}.${delayMs}ms${queueType === 'Quorum' ? '.at-least-once' : ''}`;
}
