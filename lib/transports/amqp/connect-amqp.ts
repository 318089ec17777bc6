// One RabbitMQ connection of the worker (it has two: consuming and publishing), with the worker's logging of
// errors, restores and broker alarms, and socket writes batched per event-loop turn.
import { Connection } from 'rabbitmq-client';
import type { TechnicalLogger } from '../../core/vocabulary/types.js';
import { amqpErrorText, isRefusal } from './amqp-error-text.js';
import { batchSocketWrites } from './batch-socket-writes.js';
import { connectionSocket } from './connection-socket.js';
import { describeBrokers, toAmqpHosts, type RabbitMqSettings } from './to-amqp-url.js';

/**
 * Opens a connection (rabbitmq-client reconnects by itself) and logs what happens to it. With several brokers
 * (`settings.hosts`, unless `ownUrl`: the publishing connection's own address) each attempt goes to the next
 * one in turn: the first that answers is used, and a lost connection fails over to the others.
 */
export function connectAmqp(options: { role: 'consume' | 'publish'; url: string; ownUrl?: boolean; settings: RabbitMqSettings; instanceId: string; logger: TechnicalLogger }): Connection {
  const { role, url, settings, logger } = options;
  const hosts = options.ownUrl === true ? undefined : toAmqpHosts(settings);
  const where = describeBrokers(url, hosts);
  const connection = new Connection({
    url,
    ...(hosts === undefined ? {} : { hosts }),
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
    logger.warn(`RabbitMQ ${role} connection (${where}): ${amqpErrorText(error)}`);
  });
  connection.on('connection', () => {
    // The broker this attempt reached (with several, the one after a failover).
    const at = hosts === undefined ? '' : ` via ${socketAddress(connection)}`;
    if (connectedOnce) logger.info(`RabbitMQ ${role} connection restored (${where})${at}`);
    connectedOnce = true;
  });
  connection.on('connection.blocked', (reason: unknown) => logger.warn(`RabbitMQ blocked the ${role} connection: ${String(reason)}`));
  connection.on('connection.unblocked', () => logger.info(`RabbitMQ unblocked the ${role} connection`));
  return connection;
}

/** `host:port` of the connection's socket now. */
function socketAddress(connection: Connection): string {
  const socket = connectionSocket(connection);
  return socket?.remoteAddress === undefined ? 'an unknown broker' : `${socket.remoteAddress}:${socket.remotePort}`;
}
