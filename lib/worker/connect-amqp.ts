// One RabbitMQ connection of the worker (it has two: consuming and publishing), with the worker's logging of
// errors, restores and broker alarms, and socket writes batched per event-loop turn.
import { Connection } from 'rabbitmq-client';
import type { TechnicalLogger } from '../core/types.js';
import { amqpErrorText, isRefusal } from '../transports/amqp/amqp-error-text.js';
import { batchSocketWrites } from '../transports/amqp/batch-socket-writes.js';
import { redactUrl, type RabbitMqSettings } from '../transports/amqp/to-amqp-url.js';

/** Opens a connection (rabbitmq-client reconnects by itself) and logs what happens to it. */
export function connectAmqp(options: { role: 'consume' | 'publish'; url: string; settings: RabbitMqSettings; instanceId: string; logger: TechnicalLogger }): Connection {
  const { role, url, settings, logger } = options;
  const connection = new Connection({
    url,
    connectionName: `${options.instanceId} (${role})`,
    retryLow: settings.retryLowMs ?? 1000,
    retryHigh: settings.retryHighMs ?? 30_000,
    ...(settings.heartbeatSeconds === undefined ? {} : { heartbeat: settings.heartbeatSeconds }),
  });
  batchSocketWrites(connection);
  let connectedOnce = false;
  connection.on('error', (error: unknown) => {
    // A refusal before the first connection fails the start (watch-startup.ts says it, once, as an error).
    if (!connectedOnce && isRefusal(error)) return;
    logger.warn(`RabbitMQ ${role} connection (${redactUrl(url)}): ${amqpErrorText(error)}`);
  });
  connection.on('connection', () => {
    if (connectedOnce) logger.info(`RabbitMQ ${role} connection restored (${redactUrl(url)})`);
    connectedOnce = true;
  });
  connection.on('connection.blocked', (reason: unknown) => logger.warn(`RabbitMQ blocked the ${role} connection: ${String(reason)}`));
  connection.on('connection.unblocked', () => logger.info(`RabbitMQ unblocked the ${role} connection`));
  return connection;
}
