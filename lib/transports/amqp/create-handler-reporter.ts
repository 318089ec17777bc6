// createHandlerReporter(): the serverless handler's HandlerReporter over RabbitMQ. Statuses and logs go through
// the worker's confirmed publisher, retries and dead letters through its republisher, with the same wire mapping,
// so a job run in a function shows in Milvaion's dashboard as one run by a worker.
import { randomBytes } from 'node:crypto';
import { Connection, type AsyncMessage } from 'rabbitmq-client';
import type { HandlerReporter, HandlerRun, HandlerSettlement, UnreadableMessage } from '../../core/vocabulary/handler-reporter.js';
import { toVerdict } from '../../core/engine/to-verdict.js';
import type { TechnicalLogger } from '../../core/vocabulary/types.js';
import { silentLogger } from '../../create-logger.js';
import { amqpErrorText } from './amqp-error-text.js';
import { createAmqpPublisher, type QueueType } from './create-amqp-publisher.js';
import { createRepublisher } from './create-republisher.js';
import { describeAmqpUrl, redactUrl } from './to-amqp-url.js';

/**
 * Who reports, and how (the broker itself comes from `url` or `connection`).
 * @inline
 */
interface ReporterIdentity {
  /** The worker group id the dashboard shows for these runs (no `:`), e.g. the function's name. */
  readonly workerId: string;
  /** Default `{workerId}-{8 hex}`, new per process (per Lambda execution environment). */
  readonly instanceId?: string | undefined;
  /** The deployment's queue type (default Classic); it must match the scheduler's. */
  readonly queueType?: QueueType | undefined;
  /** Connection problems and failed publishes (default: silent). */
  readonly logger?: TechnicalLogger | undefined;
}

/**
 * Options of {@link createHandlerReporter}: an AMQP URL (the reporter opens and closes its own connection), or a
 * rabbitmq-client `Connection` the caller owns (left open by `close()`).
 */
export type HandlerReporterOptions = ReporterIdentity & ({ readonly url: string; readonly connection?: undefined } | { readonly connection: Connection; readonly url?: undefined });

/** A reporter to pass to `createHandler({ reporter })`; make it once per process and `close()` it at the end. */
export interface AmqpHandlerReporter extends HandlerReporter {
  /** The instance id the status and log messages carry. */
  readonly instanceId: string;
  /** Closes the publisher, and the connection when the reporter opened it. */
  close(): Promise<void>;
}

/** Creates the RabbitMQ reporter of a serverless handler; it connects on first use and reconnects by itself. */
export function createHandlerReporter(options: HandlerReporterOptions): AmqpHandlerReporter {
  const { workerId } = options;
  if (typeof workerId !== 'string' || workerId.trim() === '' || workerId.includes(':')) {
    throw new TypeError(`createHandlerReporter: workerId must be a non-empty name without ':' (the dashboard's worker id); got ${JSON.stringify(workerId)}`);
  }
  const logger = options.logger ?? silentLogger;
  const instanceId = options.instanceId ?? `${workerId}-${randomBytes(4).toString('hex')}`;
  const queueType = options.queueType ?? 'Classic';
  const connection = options.connection ?? openConnection(options.url, instanceId, logger);
  // The virtual host it publishes to, when the reporter has the URL (a caller's connection does not say).
  const ownVirtualHost = options.url === undefined ? undefined : describeAmqpUrl(options.url).vhost;
  const publisher = createAmqpPublisher({ connection, identity: { workerId, instanceId }, queueType, logger });
  // Why a publish failed is the connection's last error (ECONNREFUSED, ACCESS_REFUSED), not the client's wait running out.
  let lastError: unknown;
  connection.on('error', (error: unknown) => (lastError = error));
  connection.on('connection', () => (lastError = undefined));
  const explain = (error: unknown) =>
    new Error(`${amqpErrorText(error)}${lastError === undefined || lastError === error ? '' : ` (last connection error: ${amqpErrorText(lastError)})`}`, { cause: error });
  const republisher = createRepublisher({ publisher, publishConnection: connection, sink: publisher, logger, queueType });

  async function settle({ envelope, outcome, queue, virtualHost, maxRetries }: HandlerRun): Promise<HandlerSettlement> {
    const { fate } = toVerdict(outcome, envelope, maxRetries);
    const what = `${envelope.jobName} ${envelope.occurrenceId}`;
    switch (fate.kind) {
      case 'ack':
      case 'requeue': // stopped by the invocation's signal: reported Cancelled, nothing to give back
        return 'none';
      case 'retry':
        // A retry decided without a queue to return to (a pipeline of the caller's own) is left to the caller.
        if (queue === undefined) return 'none';
        // The delay queue hands the copy back by name in its own virtual host: elsewhere the broker would drop it.
        if (virtualHost !== undefined && ownVirtualHost !== undefined && virtualHost !== ownVirtualHost) {
          throw new Error(
            `The retry of ${what} cannot be published: its message came from ${queue} in virtual host "${virtualHost}", but the reporter's URL points at "${ownVirtualHost}"; give createHandlerReporter the event source's virtual host`,
          );
        }
        if ((await republisher.retryLater(queue, maxRetries, envelope, fate)) !== 'ack') {
          throw new Error(`Publishing retry ${fate.retryCount} of ${what} to its delay queue failed; the message was not handled`);
        }
        return 'retry';
      case 'dead-letter':
        if ((await republisher.deadLetterJob(envelope, fate)) !== 'ack') throw new Error(`Publishing the dead letter of ${what} failed; the message was not handled`);
        return 'dead-letter';
      default:
        return fate satisfies never;
    }
  }

  return {
    instanceId,
    sink: {
      write: (record) =>
        publisher.write(record).catch((error: unknown) => {
          throw explain(error);
        }),
    },
    settle,
    async deadLetterRaw(message: UnreadableMessage, reason: string) {
      if ((await republisher.deadLetterRaw(toAsyncMessage(message), reason)) !== 'ack') throw new Error(`Dead-lettering an unreadable message failed; the message was not handled (${reason})`);
    },
    async close() {
      await publisher.close();
      if (options.connection === undefined) await connection.close();
    },
  };
}

function openConnection(url: string, instanceId: string, logger: TechnicalLogger): Connection {
  if (typeof url !== 'string' || !/^amqps?:\/\//i.test(url)) {
    throw new TypeError(`createHandlerReporter: url must be an amqp:// or amqps:// URL; got ${typeof url === 'string' ? JSON.stringify(redactUrl(url)) : typeof url}`);
  }
  const connection = new Connection({ url, connectionName: `${instanceId} (serverless)` });
  connection.on('error', (error: unknown) => logger.warn(`RabbitMQ connection of the serverless reporter (${redactUrl(url)}): ${amqpErrorText(error)}`));
  return connection;
}

/** The message as the republisher's dead-lettering reads a delivery (it uses the body, headers and properties). */
function toAsyncMessage(message: UnreadableMessage): AsyncMessage {
  return {
    consumerTag: '',
    deliveryTag: 0,
    redelivered: false,
    exchange: '',
    routingKey: message.queue ?? '',
    body: Buffer.from(message.body.buffer, message.body.byteOffset, message.body.byteLength),
    headers: { ...message.headers },
    ...(message.correlationId === undefined ? {} : { correlationId: message.correlationId }),
    ...(message.contentType === undefined ? {} : { contentType: message.contentType }),
  };
}
