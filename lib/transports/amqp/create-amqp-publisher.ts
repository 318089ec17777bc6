// The direct publisher: statuses, logs and worker presence to their queues, and retry / dead-letter copies
// of jobs, all with publisher confirms. It implements the Sink port, so the LMDB outbox can stand in front.
import type { Connection, Envelope } from 'rabbitmq-client';
import type { LogRecord, Sink, SinkRecord, StatusRecord } from '../../core/vocabulary/ports.js';
import type { TechnicalLogger } from '../../core/vocabulary/types.js';
import { installInt32Headers } from './int32-headers.js';
import { MilvaionNames } from './milvaion-names.js';
import { toLogMessage, toStatusMessage, type WorkerIdentity } from './to-milvaion-messages.js';
import { createLogBatcher } from './create-log-batcher.js';
import { WorkerDefaults } from '../../core/vocabulary/defaults.js';
import { amqpErrorCode } from './amqp-error-text.js';

/** Classic (Milvaion 10.0.11) or quorum queues (`RabbitMQ:QueueType`); must match the scheduler's. */
export type QueueType = 'Classic' | 'Quorum';

/** Extra arguments every declared queue gets for a queue type. */
export function queueTypeArguments(queueType: QueueType): Record<string, unknown> {
  return queueType === 'Quorum' ? { 'x-queue-type': 'quorum' } : {};
}

/** The exchanges and queues the worker declares for publishing, exactly as the .NET worker does (§1.2). */
export function publisherTopology(queueType: QueueType) {
  const args = queueTypeArguments(queueType);
  const q = (queue: string) => ({ queue, durable: true, exclusive: false, autoDelete: false, arguments: args });
  return {
    exchanges: [
      { exchange: MilvaionNames.jobsExchange, type: 'topic', durable: true },
      { exchange: MilvaionNames.deadLetterExchange, type: 'direct', durable: true },
    ],
    queues: [
      q(MilvaionNames.statusUpdatesQueue),
      q(MilvaionNames.workerLogsQueue),
      q(MilvaionNames.workerRegistrationQueue),
      q(MilvaionNames.workerHeartbeatQueue),
      q(MilvaionNames.failedOccurrencesQueue),
    ],
    queueBindings: [
      { exchange: MilvaionNames.deadLetterExchange, queue: MilvaionNames.failedOccurrencesQueue, routingKey: MilvaionNames.deadLetterRoutingKey },
    ],
  };
}

/** A confirmed publisher that is also a Sink for statuses and logs. */
export interface AmqpPublisher extends Sink {
  /** Publishes one message and resolves on the broker's confirm. */
  publish(envelope: Envelope, body: Buffer): Promise<void>;
  /** Publishes a JSON message to a queue through the default exchange. */
  publishJson(queue: string, message: unknown, options?: { durable?: boolean }): Promise<void>;
  /** The wire message of a record (for the outbox, which stores what it will publish). */
  toWire(record: SinkRecord): { queue: string; message: Record<string, unknown> };
  /** Sends the buffered log lines, then closes the publisher. */
  close(): Promise<void>;
}

/** Options of {@link createAmqpPublisher}. */
export interface AmqpPublisherOptions {
  readonly connection: Connection;
  readonly identity: WorkerIdentity;
  readonly queueType?: QueueType;
  readonly logger: TechnicalLogger;
  /** Attempts per publish across reconnects (rabbitmq-client `maxAttempts`). */
  readonly maxAttempts?: number;
  /** Statuses and logs as persistent messages (default true). */
  readonly persistent?: boolean;
  /** `write()` sends logs as WorkerLogBatchMessages (`RabbitMQ:LogBatching`, default false): see createLogBatcher(). */
  readonly logBatching?: boolean;
}

/** Creates the confirmed publisher. */
export function createAmqpPublisher(options: AmqpPublisherOptions): AmqpPublisher {
  installInt32Headers();
  const { identity, logger } = options;
  const publisher = options.connection.createPublisher({
    confirm: true,
    maxAttempts: options.maxAttempts ?? 3,
    ...publisherTopology(options.queueType ?? WorkerDefaults.rabbitMq.queueType),
  });
  publisher.on('retry', (error: unknown) => {
    // The worker closing its connections (a stop with the broker away) ends waiting publishes: not worth a warning.
    if (amqpErrorCode(error) !== 'CLOSING') logger.warn('Publish failed, retrying after reconnect', error);
  });

  const toWire = (record: SinkRecord) =>
    record.type === 'status'
      ? { queue: MilvaionNames.statusUpdatesQueue, message: toStatusMessage(record as StatusRecord, identity) }
      : { queue: MilvaionNames.workerLogsQueue, message: toLogMessage(record as LogRecord, identity) };

  const publish = (envelope: Envelope, body: Buffer) => publisher.send(envelope, body);
  const publishJson = (queue: string, message: unknown, opts: { durable?: boolean } = {}) =>
    publisher.send({ exchange: '', routingKey: queue, durable: opts.durable ?? true }, Buffer.from(JSON.stringify(message)));

  const durable = options.persistent ?? true;
  const writeOne = (record: SinkRecord) => {
    const { queue, message } = toWire(record);
    return publishJson(queue, message, { durable });
  };
  const batcher = options.logBatching ? createLogBatcher({ toWire, writeOne, publish: (queue, body) => publish({ exchange: '', routingKey: queue, durable }, body) }) : undefined;

  return {
    publish,
    publishJson,
    toWire,
    write: (record) => (batcher ? batcher.write(record) : writeOne(record)),
    async close() {
      await batcher?.close(); // buffered logs go out before the channel closes
      await publisher.close();
    },
  };
}
