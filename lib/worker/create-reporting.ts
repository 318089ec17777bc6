// Where a worker's statuses and logs go: the confirmed publisher, and the LMDB outbox in front of it (with
// its own non-retrying publisher for the relay) when Worker:OfflineResilience is enabled.
import type { Connection } from 'rabbitmq-client';
import { WorkerDefaults } from '../core/vocabulary/defaults.js';
import type { Sink, WorkerTelemetry } from '../core/vocabulary/ports.js';
import type { TechnicalLogger } from '../core/vocabulary/types.js';
import { createOutbox, type Outbox, type OutboxSettings } from '../outbox/create-outbox.js';
import { createAmqpPublisher, type AmqpPublisher, type QueueType } from '../transports/amqp/create-amqp-publisher.js';
import type { RabbitMqSettings } from '../transports/amqp/to-amqp-url.js';
import { toMessageChannel } from '../transports/amqp/to-message-channel.js';
import { toLogBatchBody } from '../transports/amqp/to-log-batch-body.js';

/** Where statuses and logs go: the confirmed publisher, and the outbox in front of it when enabled. */
export interface Reporting {
  readonly publisher: AmqpPublisher;
  /** The outbox relay's own publisher. */
  readonly relayPublisher: AmqpPublisher | undefined;
  readonly outbox: Outbox | undefined;
  readonly sink: Sink;
}

/** Creates the publishers and, when enabled, the outbox; `sink` is what the executor writes to. */
export function createReporting(
  options: { rabbitmq: RabbitMqSettings; outbox?: OutboxSettings | false | undefined; sink?: ((publisher: AmqpPublisher) => Sink) | undefined; telemetry?: WorkerTelemetry | undefined },
  shared: { publishConnection: Connection; identity: { workerId: string; instanceId: string }; queueType: QueueType; logger: TechnicalLogger },
): Reporting {
  const { publishConnection, identity, queueType, logger } = shared;
  const persistent = options.rabbitmq.persistentStatusMessages ?? WorkerDefaults.rabbitMq.persistentStatusMessages;
  const logBatching = options.rabbitmq.logBatching ?? WorkerDefaults.rabbitMq.logBatching;
  // Logs in batches (Worker:RabbitMQ:LogBatching): the relay groups the outbox's log entries, the direct publisher buffers them.
  const publisher = createAmqpPublisher({ connection: publishConnection, identity, queueType, logger, persistent, logBatching: logBatching && !options.outbox });
  if (!options.outbox) return { publisher, relayPublisher: undefined, outbox: undefined, sink: options.sink?.(publisher) ?? publisher };
  // The relay retries in outbox order itself, so its publisher must not retry on its own (that reorders).
  const relayPublisher = createAmqpPublisher({ connection: publishConnection, identity, queueType, logger, maxAttempts: 1 });
  const channel = toMessageChannel(relayPublisher, publishConnection);
  const outbox = createOutbox({ settings: options.outbox, channel, toWire: relayPublisher.toWire, logger, persistent, telemetry: options.telemetry, batchLogs: logBatching ? toLogBatchBody : undefined });
  return { publisher, relayPublisher, outbox, sink: outbox };
}
