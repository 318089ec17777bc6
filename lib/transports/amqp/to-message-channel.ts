// The outbox's MessageChannel port over rabbitmq-client: confirmed publishes through the default exchange,
// and the publish connection's state for the relay's backoff.
import type { Connection } from 'rabbitmq-client';
import type { MessageChannel } from '../../core/vocabulary/ports.js';
import type { AmqpPublisher } from './create-amqp-publisher.js';

/** Adapts the confirmed publisher and its connection to the outbox relay's port. */
export function toMessageChannel(publisher: AmqpPublisher, connection: Connection): MessageChannel {
  return {
    publish: (m) => publisher.publish({ exchange: '', routingKey: m.queue, durable: m.durable, messageId: m.messageId, contentType: 'application/json' }, m.body),
    get connected() {
      return connection.ready;
    },
    // onConnect(ms) without `true` would close the shared connection when ms passes (rabbitmq-client's auto-close).
    whenConnected: (timeoutMs) => connection.onConnect(timeoutMs, true),
  };
}
