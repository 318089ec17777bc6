// A consumer on a raw channel that keeps consuming while jobs run across reconnects. rabbitmq-client's
// Consumer waits for every in-flight handler before it subscribes again after a reconnect, so one long
// job would stop a worker from taking new work after any network blip; this one does not. Acks go to the
// channel that delivered; when that channel is gone, the ack is skipped and the broker redelivers.
import type { AsyncMessage, Channel, Connection } from 'rabbitmq-client';
import type { TechnicalLogger } from '../../core/types.js';

/** What to do with a delivery once handled. */
export type Disposition = 'ack' | 'drop' | 'requeue';

/** Options of {@link createJobConsumer}. */
export interface JobConsumerOptions {
  readonly connection: Connection;
  readonly queue: string;
  readonly queueArguments: Record<string, unknown>;
  readonly exchanges: readonly { exchange: string; type: string; durable: boolean }[];
  readonly bindings: readonly { exchange: string; routingKey: string }[];
  /** Prefetch and local concurrency. */
  readonly concurrency: number;
  readonly handler: (message: AsyncMessage) => Promise<Disposition>;
  readonly logger: TechnicalLogger;
}

/** A running consumer of one job queue. */
export interface JobConsumer {
  start(): void;
  /** Stops taking deliveries (running ones go on; ones not started go back to the queue) until `resume()`. */
  pause(): Promise<void>;
  resume(): void;
  /** Cancels the subscription, returns deliveries not started to the queue, waits for running handlers. */
  close(): Promise<void>;
  readonly active: number;
  /** Subscribed right now (not paused, channel open). */
  readonly subscribed: boolean;
  /** Resolves when the subscription is (re)established. */
  readonly ready: Promise<void>;
}

interface Delivery {
  readonly channel: Channel;
  readonly message: AsyncMessage;
}

/** Creates a consumer; it subscribes on `start()` and re-subscribes after every reconnect by itself. */
export function createJobConsumer(options: JobConsumerOptions): JobConsumer {
  const { connection, queue, logger } = options;
  const limit = Math.max(1, options.concurrency);
  const waiting: Delivery[] = [];
  const running = new Set<Promise<void>>();
  const warnedChannels = new WeakSet<Channel>();
  let channel: Channel | undefined;
  let consumerTag: string | undefined;
  let closing = false;
  let paused = false;
  let failures = 0;
  let markReady!: () => void;
  let ready = new Promise<void>((resolve) => (markReady = resolve));

  async function subscribe(): Promise<void> {
    while (!closing && !paused) {
      try {
        const ch = await connection.acquire({ emitErrorsFromChannel: true });
        ch.on('error', (error: unknown) => logger.warn(`Channel of ${queue}: ${error instanceof Error ? error.message : String(error)}`));
        ch.once('close', () => onClose(ch));
        await ch.queueDeclare({ queue, durable: true, exclusive: false, autoDelete: false, arguments: options.queueArguments });
        for (const exchange of options.exchanges) await ch.exchangeDeclare(exchange);
        for (const binding of options.bindings) await ch.queueBind({ queue, ...binding });
        await ch.basicQos({ prefetchCount: limit });
        if (closing || paused) return void ch.close().catch(() => undefined);
        channel = ch;
        const ok = await ch.basicConsume({ queue, noAck: false }, (message) => receive({ channel: ch, message }));
        consumerTag = ok.consumerTag;
        if (failures > 0) logger.info(`Consuming ${queue} again`);
        failures = 0;
        markReady();
        return;
      } catch (error) {
        // Logged once per outage, not per attempt; acquire() itself waits for the connection to return.
        if (failures++ === 0 && !closing) logger.warn(`Cannot consume ${queue} yet: ${error instanceof Error ? error.message : String(error)}`);
        await new Promise((resolve) => setTimeout(resolve, Math.min(5000, 200 * 2 ** Math.min(failures, 5))).unref());
      }
    }
  }

  function onClose(ch: Channel): void {
    if (ch !== channel) return;
    channel = undefined;
    consumerTag = undefined;
    // Deliveries buffered on the dead channel cannot be acked; the broker has already requeued them.
    for (let i = waiting.length - 1; i >= 0; i--) if (waiting[i]!.channel === ch) waiting.splice(i, 1);
    if (!closing && !paused) {
      ready = new Promise<void>((resolve) => (markReady = resolve));
      void subscribe();
    }
  }

  function receive(delivery: Delivery): void {
    if (running.size < limit) run(delivery);
    else waiting.push(delivery);
  }

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
    if (!ch.active) {
      // One line per lost channel, not one per delivery.
      if (!warnedChannels.has(ch)) {
        warnedChannels.add(ch);
        logger.warn(`The channel of ${queue} closed before some deliveries were settled; the broker redelivers them and the worker notices the redeliveries`);
      }
      return;
    }
    try {
      if (disposition === 'ack') ch.basicAck({ deliveryTag: message.deliveryTag });
      else ch.basicNack({ deliveryTag: message.deliveryTag, requeue: disposition === 'requeue' });
    } catch (error) {
      logger.warn(`Could not ${disposition} a message of ${queue}; the broker redelivers it`, error);
    }
  }

  return {
    start() {
      void subscribe();
    },
    async pause() {
      if (paused || closing) return;
      paused = true;
      const ch = channel;
      if (ch?.active && consumerTag !== undefined) await ch.basicCancel(consumerTag).catch(() => undefined);
      consumerTag = undefined;
      for (const delivery of waiting.splice(0)) settle(delivery, 'requeue');
    },
    resume() {
      if (!paused || closing) return;
      paused = false;
      const ch = channel;
      if (ch?.active) {
        void ch
          .basicConsume({ queue, noAck: false }, (message) => receive({ channel: ch, message }))
          .then((ok) => (consumerTag = ok.consumerTag))
          .catch((error: unknown) => logger.warn(`Resuming ${queue} failed; re-subscribing`, error));
      } else {
        void subscribe();
      }
    },
    async close() {
      closing = true;
      const ch = channel;
      if (ch?.active && consumerTag !== undefined) await ch.basicCancel(consumerTag).catch(() => undefined);
      for (const delivery of waiting.splice(0)) settle(delivery, 'requeue');
      while (running.size > 0) await Promise.allSettled([...running]);
      if (ch?.active) await ch.close().catch(() => undefined);
    },
    get active() {
      return running.size;
    },
    get subscribed() {
      return !paused && !closing && consumerTag !== undefined && channel?.active === true;
    },
    get ready() {
      return ready;
    },
  };
}
