// A worker's limits: none when no job has a rate limit or a cap across processes; with a job whose limit is shared
// or capped across processes, the Redis stores its processes share (either without Worker:Redis is a configuration
// error, said at once).
import { createJobLimits, type JobLimits } from '../core/engine/create-job-limits.js';
import type { CancellationRegistry, Sink, WorkerTelemetry } from '../core/vocabulary/ports.js';
import type { TechnicalLogger } from '../core/vocabulary/types.js';
import { createSharedRateLimits, type SharedRateLimitStore } from '../control/redis/create-shared-rate-limits.js';
import { createSharedSlots, type SharedSlotStore } from '../control/redis/create-shared-slots.js';
import type { RedisSettings } from '../control/redis/parse-cancellation.js';
import type { ConsumedJob } from '../transports/amqp/create-amqp-source.js';

/** What the limits need from the worker. */
interface LimitParts {
  readonly workerId: string;
  readonly instanceId: string;
  readonly redis: RedisSettings | false | undefined;
  readonly jobs: readonly ConsumedJob[];
  readonly registry: CancellationRegistry;
  readonly sink: Sink;
  readonly telemetry: WorkerTelemetry | undefined;
  readonly logger: TechnicalLogger;
  /** The broker's consumer_timeout: a turn further than it would cost the delivery its channel. */
  readonly consumerTimeoutMs: number;
}

/** The stores of a worker's limits, started and closed with it. */
export interface LimitStores {
  start(): void;
  close(): Promise<void>;
}

/** The limits, and the shared stores' connections when a job shares its limit or is capped across processes. */
export function createWorkerLimits(p: LimitParts): { limits: JobLimits | undefined; stores: LimitStores | undefined } {
  const limited = p.jobs.filter((job) => job.settings.rateLimit !== undefined);
  const capped = p.jobs.filter((job) => job.settings.maxParallelJobsGlobal !== undefined);
  if (limited.length === 0 && capped.length === 0) return { limits: undefined, stores: undefined };
  const shared = limited.filter((job) => job.settings.rateLimit?.scope === 'shared');
  if ((shared.length > 0 || capped.length > 0) && !p.redis) {
    const keys = [...shared.map((job) => `JobConsumers:${job.definition.name}:RateLimit:Scope`), ...capped.map((job) => `JobConsumers:${job.definition.name}:MaxParallelJobsGlobal`)].join(', ');
    throw new Error(`${keys} needs the worker's Redis, shared by its processes: set Worker:Redis:ConnectionString`);
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
  const rates: SharedRateLimitStore | undefined = shared.length > 0 && p.redis ? createSharedRateLimits({ settings: p.redis, workerId: p.workerId, logger: p.logger }) : undefined;
  const slots: SharedSlotStore | undefined = capped.length > 0 && p.redis ? createSharedSlots({ settings: p.redis, workerId: p.workerId, holder: p.instanceId, logger: p.logger }) : undefined;
  const limits = createJobLimits({ sink: p.sink, logger: p.logger, registry: p.registry, shared: rates, slots, telemetry: p.telemetry });
  const stores = [rates, slots].filter((store) => store !== undefined);
  return {
    limits,
    stores: stores.length === 0 ? undefined : { start: () => stores.forEach((store) => store.start()), close: () => Promise.all(stores.map((store) => store.close())).then(() => undefined) },
  };
}
