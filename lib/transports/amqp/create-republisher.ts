// The republishing side of the AMQP source: retry copies through per-delay TTL queues, dead letters of
// occurrences (DlqJobMessage) and of unreadable messages (as received, with a reason). All confirmed.
import type { AsyncMessage, Connection } from 'rabbitmq-client';
import { createJobLogger, LogCategory } from '../../core/engine/create-job-logger.js';
import type { JobEnvelope, TechnicalLogger } from '../../core/vocabulary/types.js';
import type { DeliveryFate, Settlement } from '../../core/vocabulary/delivery-fate.js';
import type { Sink } from '../../core/vocabulary/ports.js';
import { queueTypeArguments, type AmqpPublisher, type QueueType } from './create-amqp-publisher.js';
import { MilvaionNames, toRetryQueueName } from './milvaion-names.js';
import { toDlqMessage, toRepublishHeaders } from './to-milvaion-messages.js';

/** What the republisher needs: the confirmed publisher, its connection (for delay queues) and the sink for notices. */
export interface RepublisherOptions {
  readonly publisher: AmqpPublisher;
  readonly publishConnection: Connection;
  readonly sink: Sink;
  readonly logger: TechnicalLogger;
  readonly queueType: QueueType;
}

/** Creates the republisher; each function resolves with what to do with the original delivery. */
export function createRepublisher(options: RepublisherOptions) {
  const { publisher, publishConnection, logger, queueType } = options;
  const declaredDelayQueues = new Set<string>();
  publishConnection.on('connection', () => declaredDelayQueues.clear());

  async function retryLater(jobQueue: string, maxRetries: number, envelope: JobEnvelope, fate: Extract<DeliveryFate, { kind: 'retry' }>): Promise<Settlement> {
    // The waiting retry is a message in a TTL queue that dead-letters back to the job queue: no prefetch
    // slot is held while it waits. The original is acked only after the copy is confirmed.
    const delayQueue = toRetryQueueName(jobQueue, fate.delayMs, queueType);
    try {
      if (!declaredDelayQueues.has(delayQueue)) {
        await declareDelayQueue(publishConnection, delayQueue, jobQueue, fate.delayMs, queueType);
        declaredDelayQueues.add(delayQueue);
      }
      await publisher.publish(
        {
          exchange: '',
          routingKey: delayQueue,
          durable: true,
          correlationId: envelope.correlationId,
          contentType: 'application/json',
          headers: toRepublishHeaders(envelope, fate.retryCount, maxRetries) as Record<string, unknown>,
        },
        Buffer.from(JSON.stringify(envelope.body ?? {})),
      );
      return 'ack';
    } catch (error) {
      // The broker redelivers the original (same retry count): slower, but nothing is lost.
      logger.error(`Scheduling retry ${fate.retryCount} of ${envelope.jobName} ${envelope.occurrenceId} failed; requeueing`, error);
      return 'requeue';
    }
  }

  return {
    deadLetterRaw: (msg: AsyncMessage, reason: string): Promise<Settlement> => deadLetterRaw(options, msg, reason),
    retryLater,
    deadLetterJob: (envelope: JobEnvelope, fate: Extract<DeliveryFate, { kind: 'dead-letter' }>): Promise<Settlement> =>
      deadLetterJob(options, envelope, fate),
  };
}

/** Declares the TTL queue a retry waits in before it dead-letters back to its job queue. */
async function declareDelayQueue(publishConnection: Connection, delayQueue: string, jobQueue: string, delayMs: number, queueType: QueueType): Promise<void> {
  await publishConnection.queueDeclare({
    queue: delayQueue,
    durable: true,
    arguments: {
      'x-message-ttl': delayMs,
      'x-dead-letter-exchange': '',
      'x-dead-letter-routing-key': jobQueue,
      // Unused delay queues disappear; the expiry outlives any message waiting in it.
      'x-expires': delayMs + 10 * 60_000,
      ...queueTypeArguments(queueType),
      // A quorum queue dead-letters at most once by default: a retry expiring while its leader node stops was
      // lost (seen in soak:cluster). At least once needs reject-publish; a redelivered copy is run once, as any.
      ...(queueType === 'Quorum' ? { 'x-dead-letter-strategy': 'at-least-once', 'x-overflow': 'reject-publish' } : {}),
    },
  });
}

/** Dead-letters an unreadable message as received, with the reason in a header. */
async function deadLetterRaw({ publisher, logger }: RepublisherOptions, msg: AsyncMessage, reason: string): Promise<Settlement> {
  logger.warn(`Dead-lettering a message from ${msg.routingKey ?? '?'}: ${reason}`);
  const body = Buffer.isBuffer(msg.body) ? msg.body : Buffer.from(typeof msg.body === 'string' ? msg.body : JSON.stringify(msg.body ?? null));
  try {
    await publisher.publish(
      {
        exchange: MilvaionNames.deadLetterExchange,
        routingKey: MilvaionNames.deadLetterRoutingKey,
        durable: true,
        ...(msg.correlationId === undefined ? {} : { correlationId: msg.correlationId }),
        ...(msg.contentType === undefined ? {} : { contentType: msg.contentType }),
        headers: { ...(msg.headers ?? {}), 'x-dead-letter-reason': reason.slice(0, 4000) },
      },
      body,
    );
    return 'ack';
  } catch (error) {
    // The broker's own dead-lettering still keeps the message, without our reason.
    logger.error('Publishing to the dead-letter exchange failed; rejecting the message instead', error);
    return 'reject';
  }
}

/** Writes the dead-letter notice of an occurrence to the sink, then publishes its DlqJobMessage. */
async function deadLetterJob({ publisher, sink, logger }: RepublisherOptions, envelope: JobEnvelope, fate: Extract<DeliveryFate, { kind: 'dead-letter' }>): Promise<Settlement> {
  // The notice is a user log of the occurrence: built by the same logger the executor uses.
  let written: Promise<void> = Promise.resolve();
  createJobLogger(envelope, (record) => {
    written = sink.write(record);
  }).write(
    'Error',
    `Job moved to the dead-letter queue: ${fate.failureType}`,
    { TotalRetries: fate.retryCountHeader, FailureType: fate.failureType, FinalStatus: 'MovedToDLQ' },
    LogCategory.Retry,
  );
  await written;
  try {
    await publisher.publish(
      {
        exchange: MilvaionNames.deadLetterExchange,
        routingKey: MilvaionNames.deadLetterRoutingKey,
        durable: true,
        correlationId: envelope.correlationId,
        contentType: 'application/json',
        headers: toRepublishHeaders(envelope, fate.retryCountHeader, fate.maxRetriesHeader) as Record<string, unknown>,
      },
      Buffer.from(JSON.stringify(toDlqMessage(envelope, fate.exception))),
    );
    return 'ack';
  } catch (error) {
    logger.error(`Publishing the DLQ message of ${envelope.occurrenceId} failed; rejecting the delivery instead`, error);
    return 'reject';
  }
}
