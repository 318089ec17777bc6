// The local side of a job consumer: runs at most `limit` handlers at once, buffers the other deliveries in
// arrival order, and settles each delivery on the channel that delivered it.
import type { AsyncMessage, Channel } from 'rabbitmq-client';
import type { TechnicalLogger } from '../../core/types.js';
import type { Disposition } from './create-job-consumer.js';
import { createAckBatcher, type AckBatcher } from './create-ack-batcher.js';

/** A delivery and the channel that delivered it (the only one that can settle it). */
export interface Delivery {
  readonly channel: Channel;
  readonly message: AsyncMessage;
}

/** Options of {@link createDeliveryPool}. */
export interface DeliveryPoolOptions {
  readonly queue: string;
  /** Handlers running at once (at least one). */
  readonly limit: number;
  readonly handler: (message: AsyncMessage) => Promise<Disposition>;
  readonly logger: TechnicalLogger;
}

/** The running and buffered deliveries of one consumer. */
export interface DeliveryPool {
  /** Runs the delivery now when a slot is free, else buffers it. */
  receive(delivery: Delivery): void;
  /** Forgets the buffered deliveries of a channel that closed. */
  forget(channel: Channel): void;
  /** Returns the buffered deliveries to the queue. */
  requeueWaiting(): void;
  /** Returns the buffered deliveries to the queue and waits for the running handlers. */
  close(): Promise<void>;
  readonly active: number;
}

/** The ack batcher of each channel, and one warning per channel that closed with deliveries unsettled. */
function channelAckers(queue: string, logger: TechnicalLogger) {
  const warnedChannels = new WeakSet<Channel>();
  const ackers = new Map<Channel, AckBatcher>();
  const warnLost = (ch: Channel) => {
    // One line per lost channel, not one per delivery.
    if (warnedChannels.has(ch)) return;
    warnedChannels.add(ch);
    logger.warn(`The channel of ${queue} closed before some deliveries were settled; the broker redelivers them and the worker notices the redeliveries`);
  };
  const ackerOf = (ch: Channel) => {
    let acker = ackers.get(ch);
    if (acker === undefined) {
      acker = createAckBatcher(ch, {
        onLost: (lost) => lost > 0 && warnLost(ch),
        onError: (error) => logger.warn(`Could not ack a message of ${queue}; the broker redelivers it`, error),
      });
      ackers.set(ch, acker);
    }
    return acker;
  };
  return { ackerOf, warnLost, ackers };
}

/** Creates the pool of one consumer. */
export function createDeliveryPool(options: DeliveryPoolOptions): DeliveryPool {
  const { queue, limit, logger } = options;
  const waiting: Delivery[] = [];
  const running = new Set<Promise<void>>();
  const { ackerOf, warnLost, ackers } = channelAckers(queue, logger);

  function run(delivery: Delivery): void {
    const task = options
      .handler(delivery.message)
      .catch((error: unknown) => {
        logger.error(`Handling a delivery of ${queue} failed; requeueing it`, error);
        return 'requeue' as const;
      })
      .then((disposition) => settle(delivery, disposition))
      .finally(() => {
        running.delete(task);
        pump();
      });
    running.add(task);
  }

  function pump(): void {
    while (running.size < limit && waiting.length > 0) {
      const next = waiting.shift()!;
      if (next.channel.active) run(next);
    }
  }

  function settle({ channel: ch, message }: Delivery, disposition: Disposition): void {
    if (!ch.active) return warnLost(ch);
    try {
      if (disposition === 'ack') ackerOf(ch).ack(message.deliveryTag);
      else ackerOf(ch).nack(message.deliveryTag, disposition === 'requeue');
    } catch (error) {
      logger.warn(`Could not ${disposition} a message of ${queue}; the broker redelivers it`, error);
    }
  }

  function requeueWaiting(): void {
    for (const delivery of waiting.splice(0)) settle(delivery, 'requeue');
  }

  return {
    receive(delivery) {
      ackerOf(delivery.channel).delivered(delivery.message.deliveryTag);
      if (running.size < limit) run(delivery);
      else waiting.push(delivery);
    },
    forget(ch) {
      ackers.delete(ch);
      for (let i = waiting.length - 1; i >= 0; i--) if (waiting[i]!.channel === ch) waiting.splice(i, 1);
    },
    requeueWaiting,
    async close() {
      requeueWaiting();
      while (running.size > 0) await Promise.allSettled([...running]);
      // The last acks would otherwise go out on the next turn, after the consumer closed the channel.
      for (const acker of ackers.values()) acker.flush();
    },
    get active() {
      return running.size;
    },
  };
}
