// The RabbitMQ source: one consumer per job type (prefetch = concurrency = its MaxParallelJobs). Each
// delivery is parsed, checked against finished occurrences, executed, then acked, retried through a
// broker-side delay queue, or dead-lettered with a reason (protocol §1.5; unlike the .NET worker, a retry
// waits in the broker, not in the process: §4.2).
import type { AsyncMessage, Connection } from 'rabbitmq-client';
import type { Executor } from '../../core/engine/create-executor.js';
import { parseJobMessage } from '../../core/engine/parse-job-message.js';
import type { DeadLetterReason, FinishedOccurrences, Sink, WorkerTelemetry } from '../../core/vocabulary/ports.js';
import type { JobEnvelope, TechnicalLogger } from '../../core/vocabulary/types.js';
import type { Outcome } from '../../core/vocabulary/outcome.js';
import type { Settlement } from '../../core/vocabulary/delivery-fate.js';
import { toVerdict } from '../../core/engine/to-verdict.js';
import { queueTypeArguments, type AmqpPublisher, type QueueType } from './create-amqp-publisher.js';
import { createJobConsumer, type ClaimedOccurrence, type Flight, type JobConsumer } from './create-job-consumer.js';
import { MilvaionNames } from './milvaion-names.js';
import { createRepublisher } from './create-republisher.js';
import type { RegisteredJob } from './to-presence-messages.js';
import { WorkerDefaults } from '../../core/vocabulary/defaults.js';

/** One consumed job type. */
export interface ConsumedJob extends RegisteredJob {
  readonly queue: string;
}

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

/**
 * The size of a delivery's body: exact for bytes and text; for a body the client already parsed as JSON,
 * the length of its jobData (the only field that can be large) — cheap, with no re-encoding per message.
 */
function messageSize(body: unknown): number {
  if (Buffer.isBuffer(body)) return body.length;
  if (typeof body === 'string') return Buffer.byteLength(body);
  if (typeof body === 'object' && body !== null) {
    const data = (body as Record<string, unknown>)['jobData'] ?? (body as Record<string, unknown>)['JobData'];
    return typeof data === 'string' ? data.length : 0;
  }
  return 0;
}

/** What handling a delivery needs; built once by {@link createAmqpSource}. */
interface Handling {
  readonly options: AmqpSourceOptions;
  readonly maxMessageBytes: number;
  /** The delivery in flight (on any consumer) that runs an attempt of an occurrence, and what it will be told. */
  readonly claimed: (occurrenceId: string) => ClaimedOccurrence | undefined;
  readonly republisher: ReturnType<typeof createRepublisher>;
  readonly telemetry: WorkerTelemetry;
}

/** Creates the source; consumers start with `start()`. */
export function createAmqpSource(options: AmqpSourceOptions): AmqpSource {
  const { connection, publishConnection, publisher, logger } = options;
  const queueType = options.queueType ?? WorkerDefaults.rabbitMq.queueType;
  const consumers: JobConsumer[] = [];
  const consumerTimeoutMs = options.consumerTimeoutMs ?? WorkerDefaults.rabbitMq.consumerTimeoutSeconds * 1000;
  const handling: Handling = {
    options,
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
          handler: (msg, flight) => handle(handling, job, msg, flight),
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
      await Promise.all(consumers.map((c) => c.close()));
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

/** Checks a delivery (size, format, finished, already running here), then runs it once. */
async function handle(handling: Handling, job: ConsumedJob, msg: AsyncMessage, flight: Flight): Promise<Settlement> {
  const { options, maxMessageBytes, claimed } = handling;
  const { deadLetterRaw } = handling.republisher;
  const { finished, logger } = options;
  const size = messageSize(msg.body);
  if (size > maxMessageBytes) return counted(handling, job, 'too-large', deadLetterRaw(msg, `Invalid job message: ${size} bytes, above the limit of ${maxMessageBytes} (MaxMessageBytes)`));
  const parsed = parseJobMessage({ body: msg.body, headers: msg.headers, correlationId: msg.correlationId, redelivered: msg.redelivered });
  if (parsed.isErr()) return counted(handling, job, 'malformed', deadLetterRaw(msg, parsed.error));
  const envelope = parsed.value;
  for (;;) {
    if (finished.has(envelope.occurrenceId)) {
      logger.info(`${envelope.jobName} ${envelope.occurrenceId} already finished on this worker; acking the redelivery without running it`);
      return 'ack';
    }
    const current = claimed(envelope.occurrenceId);
    if (current === undefined) break;
    if (envelope.retryCount <= current.retryCount) {
      // A connection blip requeued a delivery whose job still runs here: the running one decides for both.
      logger.warn(`${envelope.jobName} ${envelope.occurrenceId} was redelivered while it still runs here; this copy follows that run`);
      return current.settlement;
    }
    // The next attempt came back from its delay queue before the current attempt had the broker's confirm
    // of publishing it (and so before its ack): it is a new attempt, and runs once the current one is done.
    await current.settlement;
  }
  flight.claim(envelope.occurrenceId, envelope.retryCount);
  return execute(handling, job, flight, envelope);
}

/** Runs an occurrence, then carries out its verdict's fate (ack, requeue, retry, dead-letter). */
async function execute(handling: Handling, job: ConsumedJob, flight: Flight, envelope: JobEnvelope): Promise<Settlement> {
  const { options } = handling;
  const { retryLater, deadLetterJob } = handling.republisher;
  const { executor, finished, logger } = options;
  flight.hold(`${envelope.jobName} ${envelope.occurrenceId}`);
  let outcome: Outcome;
  try {
    outcome = await executor.execute(envelope);
  } catch (error) {
    // The final status could not be handed to the sink: do not ack; the broker redelivers.
    logger.error(`The status of ${envelope.jobName} ${envelope.occurrenceId} could not be recorded; requeueing the delivery`, error);
    return 'requeue';
  } finally {
    flight.release();
  }
  const { fate } = toVerdict(outcome, envelope, job.settings.maxRetries);
  // An occurrence counts as finished here only once everything its delivery owes is done: a crash
  // before the dead letter is confirmed must lead to a redelivery that publishes it, not to "already finished".
  switch (fate.kind) {
    case 'ack':
      finished.add(envelope.occurrenceId);
      return 'ack';
    case 'requeue':
      logger.warn(`${envelope.jobName} ${envelope.occurrenceId} was interrupted by shutdown; it goes back to the queue`);
      return 'requeue';
    case 'retry': {
      const settlement = await retryLater(job.queue, job.settings.maxRetries, envelope, fate);
      if (settlement === 'ack') handling.telemetry.retryScheduled?.(job.definition.name);
      return settlement;
    }
    case 'dead-letter': {
      const settlement = await counted(handling, job, fate.reason, deadLetterJob(envelope, fate));
      if (settlement === 'ack') finished.add(envelope.occurrenceId);
      return settlement;
    }
    default:
      return fate satisfies never;
  }
}

/**
 * Counts a dead letter once the republisher is done with it: confirmed ('ack'), or rejected so the job
 * queue's own dead-letter exchange takes it. The label is the consumer's job, never the message's name.
 */
async function counted(handling: Handling, job: ConsumedJob, reason: DeadLetterReason, deadLettering: Promise<Settlement>): Promise<Settlement> {
  const settlement = await deadLettering;
  if (settlement !== 'requeue') handling.telemetry.deadLettered?.(job.definition.name, reason);
  return settlement;
}
