// createAmqpWorker(): wiring only. Connection → publisher (the sink) → executor with the default pipeline
// → one consumer per job type → registration and heartbeats. `close()` stops intake, lets running jobs
// finish for a grace period, aborts the rest (reason: shutdown), then says goodbye and disconnects.
import { availableParallelism } from 'node:os';
import type { AwilixContainer } from 'awilix';
import type { Connection } from 'rabbitmq-client';
import { createCancellationRegistry } from '../core/engine/create-cancellation-registry.js';
import { createExecutor, type Executor } from '../core/engine/create-executor.js';
import { createFinishedOccurrences } from '../core/engine/create-finished-occurrences.js';
import type { AnyJobDefinition, JobDefaults, Middleware, TechnicalLogger } from '../core/vocabulary/types.js';
import type { CancellationRegistry, FinishedOccurrences, Sink, WorkerTelemetry } from '../core/vocabulary/ports.js';
import { WorkerDefaults } from '../core/vocabulary/defaults.js';
import { silentLogger, withLogFields } from '../create-logger.js';
import { defaultMiddleware } from '../middleware/default-middleware.js';
import { createRedisCancellation, type RedisCancellation, type RedisHealth } from '../control/redis/create-redis-cancellation.js';
import type { RedisSettings } from '../control/redis/parse-cancellation.js';
import type { Outbox, OutboxHealth, OutboxSettings } from '../outbox/create-outbox.js';
import { OutboxStoreError } from '../outbox/outbox-store-error.js';
import type { AmqpPublisher, QueueType } from '../transports/amqp/create-amqp-publisher.js';
import { createAmqpSource } from '../transports/amqp/create-amqp-source.js';
import { createWorkerLimits } from './create-worker-limits.js';
import { createWorkerPresence } from '../transports/amqp/create-worker-presence.js';
import { toAmqpHosts, toAmqpUrl, type RabbitMqSettings } from '../transports/amqp/to-amqp-url.js';
import { connectAmqp } from '../transports/amqp/connect-amqp.js';
import { closeWorker, type CloseOptions } from './close-worker.js';
import { startWorker } from './start-worker.js';
import { StartupError } from './startup-error.js';
import type { CloseReport, WorkerParts } from './worker-parts.js';
import { createReporting, type Reporting } from './create-reporting.js';
import { packageVersion } from '../process/package-version.js';
import { warnAboutOverlongJobs } from './warn-overlong-jobs.js';
import { createRedeliveryKnowledge } from './create-redelivery-knowledge.js';
import { timeoutSetByUser, toConsumedJobs } from './to-consumed-jobs.js';
import { newInstanceId } from '../process/new-instance-id.js';

/** Options of {@link createAmqpWorker}; the host's config loader builds them from appsettings.json. */
export interface AmqpWorkerOptions {
  readonly workerId: string;
  /** Defaults to `{workerId}-{8 hex}`, new for every process. */
  readonly instanceId?: string;
  readonly rabbitmq: RabbitMqSettings;
  readonly jobs: readonly AnyJobDefinition[];
  /** The `JobConsumers` section: per-job settings over the defineJob() defaults. */
  readonly jobConfig?: (jobName: string) => JobDefaults | undefined;
  /** Worker-level MaxParallelJobs, reported in the registration (default: cores × 2). */
  readonly maxParallelJobs?: number;
  readonly heartbeatIntervalSeconds?: number;
  readonly jobHeartbeatIntervalSeconds?: number;
  readonly container?: AwilixContainer | undefined;
  readonly logger?: TechnicalLogger;
  /** Extra middleware inside the default pipeline. */
  readonly use?: readonly Middleware[];
  /** @internal The cancellation registry the executor and Redis share (the host passes its own). */
  readonly registry?: CancellationRegistry;
  /** @internal Occurrences already finished here (a redelivery of one is acked unrun). */
  readonly finished?: FinishedOccurrences;
  /**
   * The LMDB outbox (`Worker:OfflineResilience`): statuses and logs are durable before a delivery is acked.
   * `false` publishes directly with confirms.
   */
  readonly outbox?: OutboxSettings | false;
  /** The `Worker:Redis` section: cancellation from the dashboard. Absent or `false`: no cancellation. */
  readonly redis?: RedisSettings | false;
  /** With Redis, every process of the WorkerId shares its finished occurrences and crash counts (default true). */
  readonly sharedOccurrenceRecords?: boolean;
  /** Redeliveries after a crash that still run, alone; the next is dead-lettered as Failed (default 3; 0: off). */
  readonly maxCrashRedeliveries?: number;
  /** @internal Puts another sink between the executor and the publisher (ignored when the outbox is on). */
  readonly sink?: (publisher: AmqpPublisher) => Sink;
  /** @deprecated Use `rabbitmq.consumerTimeoutSeconds` (the config's name); this one is read when that is unset. */
  readonly consumerTimeoutSeconds?: number;
  /** Job messages above this size are dead-lettered unread (default 4 MiB). */
  readonly maxMessageBytes?: number;
  /** @internal Told of dead letters, scheduled retries and outbox confirms (the host passes its metrics). */
  readonly telemetry?: WorkerTelemetry;
  /** RabbitMQ (and Redis, when set) must connect within this at start (default 30); 0 waits forever. */
  readonly startupTimeoutSeconds?: number;
  /** The registration's `Version`, as the dashboard shows it (default: this milvaion-worker package's version). */
  readonly version?: string;
}

/** A running worker attached to RabbitMQ. */
export interface AmqpWorker {
  readonly identity: { readonly workerId: string; readonly instanceId: string };
  /** @internal */
  readonly executor: Executor;
  /** @internal */
  readonly registry: CancellationRegistry;
  /** The consuming connection (publishing has its own). */
  readonly connection: Connection;
  /** The outbox, when enabled. */
  readonly outbox: Outbox | undefined;
  /** What the worker depends on, for health probes: Redis `degraded` is not the worker being down. */
  health(): WorkerHealth;
  /**
   * Resolves once connected, registered and consuming. Rejects with a {@link StartupError} when the outbox
   * cannot be opened (another process holds its folder), the broker refuses the credentials or vhost, or
   * nothing connects within `startupTimeoutSeconds`; then call `close()`.
   */
  start(): Promise<void>;
  /**
   * Graceful stop, bounded: no new deliveries, up to `graceMs` for running jobs, then abort, IsStopping, up to
   * `drainMs` to empty the outbox (all within `budgetMs`), disconnect. Resolves with what was left behind.
   */
  close(options?: CloseOptions): Promise<CloseReport>;
}

/** The state of a worker's dependencies. */
export interface WorkerHealth {
  readonly rabbitmq: { readonly consume: boolean; readonly publish: boolean };
  /** Every job consumer is subscribed. */
  readonly consuming: boolean;
  readonly redis: RedisHealth | 'disabled';
  readonly outbox: OutboxHealth | 'disabled';
  readonly runningJobs: number;
  readonly stopping: boolean;
  /**
   * Since when (epoch ms) the worker has been connected without a registration or heartbeat getting through: the
   * last confirmed one, or the last (re)connect if later. Undefined while none is due (before start, once
   * stopping, while the publish connection is down).
   */
  readonly heartbeat: { readonly silentSince: number | undefined };
  /** With a rate-limited job: each such job with jobs waiting for their turn, and since when (epoch ms) without a break. */
  readonly rateLimits?: readonly { readonly job: string; readonly waiting: number; readonly busySince: number }[] | undefined;
}

/** Creates a worker that consumes its jobs from RabbitMQ and reports to the Milvaion scheduler. */
export function createAmqpWorker(options: AmqpWorkerOptions): AmqpWorker {
  if (/[:\s]/.test(options.workerId)) throw new Error(`WorkerId must not contain ':' or spaces (the scheduler splits keys on ':'): ${options.workerId}`);
  const identity = { workerId: options.workerId, instanceId: options.instanceId ?? newInstanceId(options.workerId) };
  const logger = withLogFields(options.logger ?? silentLogger, identity); // a consola logger: every line carries both ids
  const url = toAmqpUrl(options.rabbitmq);
  // Two connections, as RabbitMQ advises: when the broker blocks publishers (a memory or disk alarm) it
  // stops reading their connection, acks included; consumers on their own connection keep acking.
  const connection = connectAmqp({ role: 'consume', url, settings: options.rabbitmq, instanceId: identity.instanceId, logger });
  const publishUrl = options.rabbitmq.publishUrl;
  const publishConnection = connectAmqp({ role: 'publish', url: publishUrl ?? url, ownUrl: publishUrl !== undefined, settings: options.rabbitmq, instanceId: identity.instanceId, logger });
  const queueType: QueueType = options.rabbitmq.queueType ?? WorkerDefaults.rabbitMq.queueType;
  const { reporting, openError } = openReporting(options, { publishConnection, identity, queueType, logger });
  const registry = options.registry ?? createCancellationRegistry();
  const shutdown = new AbortController();
  const executor = createExecutor({
    jobs: options.jobs,
    middleware: defaultMiddleware({ retryMode: 'scheduled', registry, shutdownSignal: shutdown.signal, use: options.use ?? [] }),
    sink: reporting.sink,
    logger,
    container: options.container,
    jobConfig: options.jobConfig,
    jobHeartbeatMs: (options.jobHeartbeatIntervalSeconds ?? WorkerDefaults.heartbeat.jobHeartbeatIntervalSeconds) * 1000,
    instanceId: identity.instanceId,
    requeueOnShutdown: true,
  });
  const jobs = toConsumedJobs(options.jobs, executor, identity.workerId);
  const redeliveries = createRedeliveryKnowledge(options, identity.instanceId, reporting, logger);
  const consumerTimeoutMs = (options.rabbitmq.consumerTimeoutSeconds ?? options.consumerTimeoutSeconds ?? WorkerDefaults.rabbitMq.consumerTimeoutSeconds) * 1000;
  const limits = createWorkerLimits({ workerId: identity.workerId, instanceId: identity.instanceId, redis: options.redis, jobs, registry, sink: reporting.sink, telemetry: options.telemetry, logger, consumerTimeoutMs });
  warnAboutOverlongJobs(jobs, consumerTimeoutMs, logger, (name) => timeoutSetByUser(options, name));
  const presence = createWorkerPresence({
    connection: publishConnection,
    publisher: reporting.publisher,
    identity,
    jobs,
    maxParallelJobs: options.maxParallelJobs ?? 2 * availableParallelism(),
    heartbeatIntervalMs: (options.heartbeatIntervalSeconds ?? WorkerDefaults.heartbeat.intervalSeconds) * 1000,
    currentJobs: () => source.inFlight,
    logger,
    version: options.version ?? packageVersion(),
  });
  const source = createAmqpSource({
    connection,
    publishConnection,
    executor,
    jobs,
    publisher: reporting.publisher,
    sink: reporting.sink,
    finished: options.finished ?? reporting.outbox?.finished ?? createFinishedOccurrences(),
    redeliveries: redeliveries.knowledge,
    logger,
    queueType,
    consumerTimeoutMs,
    maxMessageBytes: options.maxMessageBytes ?? WorkerDefaults.maxMessageBytes,
    onJobsChanged: () => presence.jobsChanged(),
    onSetupError: (error) => parts.startup?.observe(error),
    telemetry: options.telemetry,
    limits: limits.limits,
  });
  const redis: RedisCancellation | undefined = options.redis ? createRedisCancellation({ settings: options.redis, registry, logger }) : undefined;
  const startupTimeoutMs = (options.startupTimeoutSeconds ?? WorkerDefaults.startupConnectionTimeoutSeconds) * 1000;
  const parts: WorkerParts = { identity, url, hosts: toAmqpHosts(options.rabbitmq), hostsKey: options.rabbitmq.hostsKey, fromUrl: Boolean(options.rabbitmq.url), startupTimeoutMs, startup: undefined, registered: false, logger, connection, publishConnection, queueType, reporting, source, presence, redis, shared: redeliveries.shared, rateLimits: limits.stores, limits: limits.limits, jobs, shutdown, executor };
  let started = false;
  let closed: Promise<CloseReport> | undefined;

  return {
    identity,
    executor,
    registry,
    connection,
    outbox: reporting.outbox,
    health: () => toWorkerHealth(parts, source.inFlight, closed !== undefined),
    async start() {
      if (started) return;
      started = true;
      if (openError) throw openError;
      await startWorker(parts);
    },
    close(opts = {}) {
      closed ??= closeWorker(parts, opts);
      return closed;
    },
  };
}

/**
 * The publishers and the outbox. An outbox that cannot be opened (a folder another live process holds, one that
 * cannot be created, a store that cannot be read) fails `start()` with a StartupError instead of throwing here,
 * so the CLI and callers meet it where they meet every other start failure. Such a worker gets publishers only;
 * it never consumes, since `start()` rejects first.
 */
function openReporting(options: AmqpWorkerOptions, shared: Parameters<typeof createReporting>[1]): { reporting: Reporting; openError: StartupError | undefined } {
  try {
    return { reporting: createReporting(options, shared), openError: undefined };
  } catch (error) {
    if (!(error instanceof OutboxStoreError)) throw error;
    const message = error.message.replace(/\s*\n\s*/g, ' '); // one log line
    return { reporting: createReporting({ ...options, outbox: false, sink: undefined }, shared), openError: new StartupError(message, 'outbox', 'refused') };
  }
}

function toWorkerHealth(p: WorkerParts, runningJobs: number, stopping: boolean): WorkerHealth {
  return {
    rabbitmq: { consume: p.connection.ready, publish: p.publishConnection.ready },
    consuming: p.source.consuming,
    redis: p.redis?.health() ?? 'disabled',
    outbox: p.reporting.outbox?.health() ?? 'disabled',
    runningJobs,
    stopping,
    heartbeat: { silentSince: p.presence.silentSince() },
    ...(p.limits === undefined ? {} : { rateLimits: [...p.limits.waiting].map(([job, waiting]) => ({ job, waiting, busySince: p.limits!.busySince.get(job) ?? Date.now() })) }),
  };
}
