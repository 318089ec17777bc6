// createAmqpWorker(): wiring only. Connection → publisher (the sink) → executor with the default pipeline
// → one consumer per job type → registration and heartbeats. `close()` stops intake, lets running jobs
// finish for a grace period, aborts the rest (reason: shutdown), then says goodbye and disconnects.
import { randomBytes } from 'node:crypto';
import { availableParallelism } from 'node:os';
import type { AwilixContainer } from 'awilix';
import { Connection } from 'rabbitmq-client';
import { createCancellationRegistry } from '../core/create-cancellation-registry.js';
import { createExecutor, type Executor } from '../core/create-executor.js';
import { createFinishedOccurrences } from '../core/create-finished-occurrences.js';
import type { AnyJobDefinition, JobDefaults, Middleware, TechnicalLogger } from '../core/types.js';
import type { CancellationRegistry, FinishedOccurrences, Sink } from '../core/ports.js';
import { silentLogger } from '../create-logger.js';
import { defaultMiddleware } from '../middleware/default-middleware.js';
import { createRedisCancellation, type RedisCancellation, type RedisHealth } from '../control/redis/create-redis-cancellation.js';
import type { RedisSettings } from '../control/redis/parse-cancellation.js';
import { createOutbox, type Outbox, type OutboxHealth, type OutboxSettings } from '../outbox/create-outbox.js';
import { batchSocketWrites } from '../transports/amqp/batch-socket-writes.js';
import { createAmqpPublisher, type AmqpPublisher, type QueueType } from '../transports/amqp/create-amqp-publisher.js';
import { createAmqpSource, type ConsumedJob } from '../transports/amqp/create-amqp-source.js';
import { createWorkerPresence } from '../transports/amqp/create-worker-presence.js';
import { toJobQueueName, toRoutingPattern } from '../transports/amqp/milvaion-names.js';
import { redactUrl, toAmqpUrl, type RabbitMqSettings } from '../transports/amqp/to-amqp-url.js';
import { toMessageChannel } from '../transports/amqp/to-message-channel.js';

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
  readonly registry?: CancellationRegistry;
  readonly finished?: FinishedOccurrences;
  /**
   * The LMDB outbox (`Worker:OfflineResilience`): statuses and logs are durable before a delivery is acked.
   * `false` publishes directly with confirms.
   */
  readonly outbox?: OutboxSettings | false;
  /** The `Worker:Redis` section: cancellation from the dashboard. Absent or `false`: no cancellation. */
  readonly redis?: RedisSettings | false;
  /** Puts another sink between the executor and the publisher (ignored when the outbox is on). */
  readonly sink?: (publisher: AmqpPublisher) => Sink;
  readonly consumerTimeoutSeconds?: number;
  /** Job messages above this size are dead-lettered unread (default 4 MiB). */
  readonly maxMessageBytes?: number;
  readonly version?: string;
}

/** A running worker attached to RabbitMQ. */
export interface AmqpWorker {
  readonly identity: { readonly workerId: string; readonly instanceId: string };
  readonly executor: Executor;
  readonly registry: CancellationRegistry;
  /** The consuming connection (publishing has its own). */
  readonly connection: Connection;
  /** The outbox, when enabled. */
  readonly outbox: Outbox | undefined;
  /** What the worker depends on, for health probes: Redis `degraded` is not the worker being down. */
  health(): WorkerHealth;
  /** Resolves once connected, registered and consuming. */
  start(): Promise<void>;
  /** Graceful stop: no new deliveries, up to `graceMs` for running jobs, then abort, IsStopping, up to `drainMs` to empty the outbox, disconnect. */
  close(options?: { graceMs?: number; drainMs?: number }): Promise<void>;
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
}

/** Makes a .NET-style instance id: `{workerId}-{8 hex}`. */
export function newInstanceId(workerId: string): string {
  return `${workerId}-${randomBytes(4).toString('hex')}`;
}

/** Creates a worker that consumes its jobs from RabbitMQ and reports to the Milvaion scheduler. */
export function createAmqpWorker(options: AmqpWorkerOptions): AmqpWorker {
  if (/[:\s]/.test(options.workerId)) throw new Error(`WorkerId must not contain ':' or spaces (the scheduler splits keys on ':'): ${options.workerId}`);
  const logger = options.logger ?? silentLogger;
  const identity = { workerId: options.workerId, instanceId: options.instanceId ?? newInstanceId(options.workerId) };
  const url = toAmqpUrl(options.rabbitmq);
  // Two connections, as RabbitMQ advises: when the broker blocks publishers (a memory or disk alarm) it
  // stops reading their connection, acks included; consumers on their own connection keep acking.
  const connect = (role: 'consume' | 'publish', target: string) => {
    const connection = new Connection({
      url: target,
      connectionName: `${identity.instanceId} (${role})`,
      retryLow: options.rabbitmq.retryLowMs ?? 1000,
      retryHigh: options.rabbitmq.retryHighMs ?? 30_000,
      ...(options.rabbitmq.heartbeatSeconds === undefined ? {} : { heartbeat: options.rabbitmq.heartbeatSeconds }),
    });
    batchSocketWrites(connection);
    let connectedOnce = false;
    connection.on('error', (error: unknown) => logger.warn(`RabbitMQ ${role} connection (${redactUrl(target)}): ${error instanceof Error ? error.message : String(error)}`));
    connection.on('connection', () => {
      if (connectedOnce) logger.info(`RabbitMQ ${role} connection restored (${redactUrl(target)})`);
      connectedOnce = true;
    });
    connection.on('connection.blocked', (reason: unknown) => logger.warn(`RabbitMQ blocked the ${role} connection: ${String(reason)}`));
    connection.on('connection.unblocked', () => logger.info(`RabbitMQ unblocked the ${role} connection`));
    return connection;
  };
  const connection = connect('consume', url);
  const publishConnection = connect('publish', options.rabbitmq.publishUrl ?? url);

  const queueType: QueueType = options.rabbitmq.queueType ?? 'Classic';
  const persistent = options.rabbitmq.persistentStatusMessages ?? true;
  const publisher = createAmqpPublisher({ connection: publishConnection, identity, queueType, logger, persistent });
  // The relay retries in outbox order itself, so its publisher must not retry on its own (that reorders).
  const relayPublisher = options.outbox ? createAmqpPublisher({ connection: publishConnection, identity, queueType, logger, maxAttempts: 1 }) : undefined;
  const outbox =
    options.outbox && relayPublisher
      ? createOutbox({ settings: options.outbox, channel: toMessageChannel(relayPublisher, publishConnection), toWire: relayPublisher.toWire, logger, persistent })
      : undefined;
  const sink = outbox ?? options.sink?.(publisher) ?? publisher;
  const registry = options.registry ?? createCancellationRegistry();
  const shutdown = new AbortController();
  const executor = createExecutor({
    jobs: options.jobs,
    middleware: defaultMiddleware({ retryMode: 'scheduled', registry, shutdownSignal: shutdown.signal, use: options.use ?? [] }),
    sink,
    logger,
    container: options.container,
    jobConfig: options.jobConfig,
    jobHeartbeatMs: (options.jobHeartbeatIntervalSeconds ?? 60) * 1000,
    instanceId: identity.instanceId,
    requeueOnShutdown: true,
  });
  const jobs: ConsumedJob[] = options.jobs.map((definition) => {
    const settings = executor.settings(definition.name);
    const routingPattern = settings.routingPattern || toRoutingPattern(identity.workerId, definition.name);
    return { definition, settings, routingPattern, queue: toJobQueueName(routingPattern) };
  });
  const consumerTimeoutMs = (options.consumerTimeoutSeconds ?? 1800) * 1000;
  const overlong = jobs.filter((j) => j.settings.timeoutMs === 0 || j.settings.timeoutMs >= consumerTimeoutMs);
  if (overlong.length > 0) {
    logger.warn(`${overlong.map((j) => `${j.definition.name} (${j.settings.timeoutMs / 1000 || 'no'} s timeout)`).join(', ')}: a run longer than RabbitMQ's consumer_timeout (${consumerTimeoutMs / 1000} s) makes the broker close the channel and redeliver the job. Raise consumer_timeout on the broker (and set ConsumerTimeoutSeconds) or lower ExecutionTimeoutSeconds.`);
  }
  const presence = createWorkerPresence({
    connection: publishConnection,
    publisher,
    identity,
    jobs,
    maxParallelJobs: options.maxParallelJobs ?? 2 * availableParallelism(),
    heartbeatIntervalMs: (options.heartbeatIntervalSeconds ?? 30) * 1000,
    currentJobs: () => executor.running,
    logger,
    version: options.version ?? '0.1.0',
  });
  const source = createAmqpSource({
    connection,
    publishConnection,
    executor,
    jobs,
    publisher,
    sink,
    finished: options.finished ?? outbox?.finished ?? createFinishedOccurrences(),
    logger,
    queueType,
    consumerTimeoutMs,
    maxMessageBytes: options.maxMessageBytes ?? 4 * 1024 * 1024,
    onJobsChanged: () => presence.jobsChanged(),
  });
  const redis: RedisCancellation | undefined = options.redis ? createRedisCancellation({ settings: options.redis, registry, logger }) : undefined;
  let started = false;
  let closed: Promise<void> | undefined;

  return {
    identity,
    executor,
    registry,
    connection,
    outbox,
    health: () => ({
      rabbitmq: { consume: connection.ready, publish: publishConnection.ready },
      consuming: source.consuming,
      redis: redis?.health() ?? 'disabled',
      outbox: outbox?.health() ?? 'disabled',
      runningJobs: executor.running,
      stopping: closed !== undefined,
    }),
    async start() {
      if (started) return;
      started = true;
      logger.info(`Worker ${identity.instanceId} connecting to ${redactUrl(url)}`);
      if (outbox) {
        outbox.onPressure((full) => (full ? void source.pause(`the outbox is full (${outbox.health().reason ?? ''})`) : source.resume()));
        outbox.start();
      }
      if (redis) await redis.start();
      else logger.info('Redis is not configured: the worker runs without cancellation from the dashboard');
      source.start();
      await source.ready();
      await presence.start();
      logger.info(`Worker ${identity.instanceId} consuming ${jobs.map((j) => `${j.definition.name} ← ${j.queue}`).join(', ')}`);
    },
    close(opts = {}) {
      closed ??= (async () => {
        const graceMs = opts.graceMs ?? 30_000;
        // Consumer.close() stops new deliveries and waits for running handlers; abort them after the grace.
        const drained = source.close();
        const timer = setTimeout(() => shutdown.abort(), graceMs);
        await drained;
        clearTimeout(timer);
        await presence.stop();
        await redis?.close();
        await outbox?.close({ drainMs: opts.drainMs ?? 10_000 });
        // rabbitmq-client's Connection.close() waits for every publisher's channel: close them all first.
        await Promise.all([publisher.close(), relayPublisher?.close()]);
        await Promise.all([connection.close(), publishConnection.close()]);
        logger.info(`Worker ${identity.instanceId} stopped`);
      })();
      return closed;
    },
  };
}
