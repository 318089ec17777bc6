// A worker's rate limits: none when no job has one; with a job whose limit is shared, the Redis store its processes
// share (a Shared scope without Worker:Redis is a configuration error, said at once).
import { createJobLimits, type JobLimits } from '../core/engine/create-job-limits.js';
import type { CancellationRegistry, Sink, WorkerTelemetry } from '../core/vocabulary/ports.js';
import type { TechnicalLogger } from '../core/vocabulary/types.js';
import { createSharedRateLimits, type SharedRateLimitStore } from '../control/redis/create-shared-rate-limits.js';
import type { RedisSettings } from '../control/redis/parse-cancellation.js';
import type { ConsumedJob } from '../transports/amqp/create-amqp-source.js';

/** What the limits need from the worker. */
interface LimitParts {
  readonly workerId: string;
  readonly redis: RedisSettings | false | undefined;
  readonly jobs: readonly ConsumedJob[];
  readonly registry: CancellationRegistry;
  readonly sink: Sink;
  readonly telemetry: WorkerTelemetry | undefined;
  readonly logger: TechnicalLogger;
  /** The broker's consumer_timeout: a turn further than it would cost the delivery its channel. */
  readonly consumerTimeoutMs: number;
}

/** The limits, and the shared store's connection when a job shares its limit (started and closed with the worker). */
export function createWorkerLimits(p: LimitParts): { limits: JobLimits | undefined; store: SharedRateLimitStore | undefined } {
  const limited = p.jobs.filter((job) => job.settings.rateLimit !== undefined);
  if (limited.length === 0) return { limits: undefined, store: undefined };
  const shared = limited.filter((job) => job.settings.rateLimit?.scope === 'shared');
  if (shared.length > 0 && !p.redis) {
    const keys = shared.map((job) => `JobConsumers:${job.definition.name}:RateLimit:Scope`).join(', ');
    throw new Error(`${keys} is Shared, but the worker has no Redis to share it through: set Worker:Redis:ConnectionString, or use Scope Process`);
  }
  for (const job of limited) {
    const limit = job.settings.rateLimit!;
    // The last of a full prefetch waits this long for its turn (more when other processes share the limit).
    const horizonMs = ((limit.periodSeconds * 1000) / limit.count) * job.settings.maxParallelJobs;
    if (horizonMs > 0.8 * p.consumerTimeoutMs) {
      p.logger.warn(
        `${job.definition.name}: ${job.settings.maxParallelJobs} deliveries waiting for a rate limit of ${limit.count} per ${limit.periodSeconds} s would hold the last one ${Math.round(horizonMs / 1000)} s, close to the broker's consumer_timeout (${p.consumerTimeoutMs / 1000} s), which closes a channel holding a delivery past it: lower its MaxParallelJobs, or raise the broker's consumer_timeout and Worker:RabbitMQ:ConsumerTimeoutSeconds`,
      );
    }
  }
  const store = shared.length > 0 && p.redis ? createSharedRateLimits({ settings: p.redis, workerId: p.workerId, logger: p.logger }) : undefined;
  const limits = createJobLimits({ sink: p.sink, logger: p.logger, registry: p.registry, shared: store, telemetry: p.telemetry });
  return { limits, store };
}
