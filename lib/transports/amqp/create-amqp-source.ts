// The RabbitMQ source: one consumer per job type (prefetch = concurrency = its MaxParallelJobs), each delivery
// handled by handle-job-delivery.ts; pause and resume for backpressure, and the one count of work in flight.
import type { Connection } from 'rabbitmq-client';
import type { Executor } from '../../core/engine/create-executor.js';
import type { JobLimits } from '../../core/engine/create-job-limits.js';
import type { FinishedOccurrences, Sink, WorkerTelemetry } from '../../core/vocabulary/ports.js';
import type { TechnicalLogger } from '../../core/vocabulary/types.js';
import { queueTypeArguments, type AmqpPublisher, type QueueType } from './create-amqp-publisher.js';
import { createJobConsumer, type JobConsumer } from './create-job-consumer.js';
import { MilvaionNames } from './milvaion-names.js';
import { createRepublisher } from './create-republisher.js';
import { WorkerDefaults } from '../../core/vocabulary/defaults.js';
import type { RedeliveryKnowledge } from './check-redelivery.js';
import { createSoloGate } from './create-solo-gate.js';
import { createAttemptLeases } from './create-attempt-leases.js';
import { handleJobDelivery, releaseDelivery, type ConsumedJob, type DeliveryHandling } from './handle-job-delivery.js';

export type { ConsumedJob };

/** Options of {@link createAmqpSource}. */
export interface AmqpSourceOptions {
  /** Consumers and their acks. */
  readonly connection: Connection;
  /** Publishing (retry copies, dead letters, delay-queue declarations). */
  readonly publishConnection: Connection;
  readonly executor: Executor;
  readonly jobs: readonly ConsumedJob[];
  readonly publisher: AmqpPublisher;
  /** Where the runtime's own log lines (dead-letter notices) go: the same sink as the executor's. */
  readonly sink: Sink;
  readonly finished: FinishedOccurrences;
  /** What a redelivery is checked against (shared finished records, crash counts) and the crash limit. */
  readonly redeliveries: RedeliveryKnowledge;
  readonly logger: TechnicalLogger;
  readonly queueType?: QueueType;
  /** The broker's consumer_timeout; a delivery held close to it is reported. */
  readonly consumerTimeoutMs?: number;
  /** Job messages above this size are dead-lettered unread. */
  readonly maxMessageBytes?: number;
  /** Called when a job starts or ends (heartbeat debounce). */
  readonly onJobsChanged?: () => void;
  /** Told of each failed subscription attempt (declarations refused, channel errors). */
  readonly onSetupError?: (error: unknown) => void;
  /** Told of each dead letter (with its reason code) and each scheduled retry. */
  readonly telemetry?: WorkerTelemetry | undefined;
  /** The jobs' rate limits, when a job has one: a limited job waits for its turn before it starts. */
  readonly limits?: JobLimits | undefined;
}

/** The running consumers. */
export interface AmqpSource {
  /** Starts the consumers in the background (see `ready()`). */
  start(): void;
  /** Stops taking deliveries and waits for the ones in progress. */
  close(): Promise<void>;
  /** Jobs running on its deliveries, across job types: the worker's one count of work in flight. */
  readonly inFlight: number;
  /** Resolves when every consumer is subscribed. */
  ready(): Promise<void>;
  /** Whether every consumer is subscribed right now. */
  readonly consuming: boolean;
  /** Stops taking new deliveries (running jobs go on) until `resume()`. */
  pause(reason: string): Promise<void>;
  /** Takes deliveries again after `pause()`. */
  resume(): void;
}

/** The arguments of a job queue: the dead-letter exchange, plus the queue type (§1.2, §7). */
export function jobQueueArguments(queueType: QueueType): Record<string, unknown> {
  return {
    'x-dead-letter-exchange': MilvaionNames.deadLetterExchange,
    'x-dead-letter-routing-key': MilvaionNames.deadLetterRoutingKey,
    ...queueTypeArguments(queueType),
  };
}

/** Creates the source; consumers start with `start()`. */
export function createAmqpSource(options: AmqpSourceOptions): AmqpSource {
  const { connection, publishConnection, publisher, logger } = options;
  const queueType = options.queueType ?? WorkerDefaults.rabbitMq.queueType;
  const consumers: JobConsumer[] = [];
  const consumerTimeoutMs = options.consumerTimeoutMs ?? WorkerDefaults.rabbitMq.consumerTimeoutSeconds * 1000;
  const { shared, timing } = options.redeliveries;
  const leases = shared === undefined ? undefined : createAttemptLeases(shared, timing);
  const closing = new AbortController();
  const handling: DeliveryHandling = {
    executor: options.executor,
    sink: options.sink,
    finished: options.finished,
    redeliveries: options.redeliveries,
    logger,
    maxMessageBytes: options.maxMessageBytes ?? WorkerDefaults.maxMessageBytes,
    // Occurrences being handled here, so a redelivered copy waits for the run instead of running twice.
    claimed: (occurrenceId) => {
      for (const consumer of consumers) {
        const claim = consumer.occurrence(occurrenceId);
        if (claim !== undefined) return claim;
      }
      return undefined;
    },
    republisher: createRepublisher({ publisher, publishConnection, sink: options.sink, logger, queueType }),
    telemetry: options.telemetry ?? {},
    gate: createSoloGate(),
    leases,
    closing: closing.signal,
    limits: options.limits,
  };

  return {
    start() {
      for (const job of options.jobs) {
        const consumer = createJobConsumer({
          connection,
          queue: job.queue,
          queueArguments: jobQueueArguments(queueType),
          exchanges: [{ exchange: MilvaionNames.jobsExchange, type: 'topic', durable: true }],
          bindings: [{ exchange: MilvaionNames.jobsExchange, routingKey: job.routingPattern }],
          concurrency: job.settings.maxParallelJobs,
          handler: (msg, flight) => handleJobDelivery(handling, job, msg, flight),
          release: (msg) => releaseDelivery(handling, msg),
          onSettled: leases?.settled,
          logger,
          consumerTimeoutMs,
          onJobsChanged: options.onJobsChanged,
          onSetupError: options.onSetupError,
        });
        consumer.start();
        consumers.push(consumer);
      }
    },
    async close() {
      closing.abort();
      await Promise.all(consumers.map((c) => c.close()));
      leases?.close();
    },
    get inFlight() {
      return consumers.reduce((jobs, c) => jobs + c.running, 0);
    },
    get consuming() {
      return consumers.length > 0 && consumers.every((c) => c.subscribed);
    },
    ready: () => Promise.all(consumers.map((c) => c.ready)).then(() => undefined),
    async pause(reason) {
      logger.warn(`Not taking new jobs: ${reason}`);
      await Promise.all(consumers.map((c) => c.pause()));
    },
    resume() {
      logger.info('Taking new jobs again');
      for (const c of consumers) c.resume();
    },
  };
}

