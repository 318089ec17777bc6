// A consumer on a raw channel that keeps consuming while jobs run across reconnects. rabbitmq-client's
// Consumer waits for every in-flight handler before it subscribes again after a reconnect, so one long
// job would stop a worker from taking new work after any network blip; this one does not. Acks go to the
// channel that delivered; when that channel is gone, the ack is skipped and the broker redelivers.
import type { AsyncMessage, Channel, Connection } from 'rabbitmq-client';
import type { TechnicalLogger } from '../../core/types.js';
import { createDeliveryPool, type DeliveryPool } from './create-delivery-pool.js';
import { errorMessage } from '../../core/error-message.js';
import { retryDelay } from '../../core/retry-delay.js';

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
  /** Handles one delivery and says what becomes of it: ack, drop or requeue. */
  readonly handler: (message: AsyncMessage) => Promise<Disposition>;
  readonly logger: TechnicalLogger;
  /** Told of each failed subscription attempt (a worker's start fails on a permission refusal). */
  readonly onSetupError?: ((error: unknown) => void) | undefined;
}

/** A running consumer of one job queue. */
export interface JobConsumer {
  /** Subscribes to the queue in the background. */
  start(): void;
  /** Stops taking deliveries (running ones go on; ones not started go back to the queue) until `resume()`. */
  pause(): Promise<void>;
  /** Takes deliveries again after `pause()`. */
  resume(): void;
  /** Cancels the subscription, returns deliveries not started to the queue, waits for running handlers. */
  close(): Promise<void>;
  readonly active: number;
  /** Subscribed right now (not paused, channel open). */
  readonly subscribed: boolean;
  /** Resolves when the subscription is (re)established. */
  readonly ready: Promise<void>;
}

/** What the subscription functions below share with the consumer's methods. */
interface ConsumerState {
  readonly options: JobConsumerOptions;
  readonly limit: number;
  readonly pool: DeliveryPool;
  channel: Channel | undefined;
  consumerTag: string | undefined;
  closing: boolean;
  paused: boolean;
  failures: number;
  ready: Promise<void>;
  markReady: () => void;
}

/** A fresh `ready` promise and the function that resolves it. */
function readyLatch(): Pick<ConsumerState, 'ready' | 'markReady'> {
  let markReady!: () => void;
  const ready = new Promise<void>((resolve) => (markReady = resolve));
  return { ready, markReady };
}

/** Creates a consumer; it subscribes on `start()` and re-subscribes after every reconnect by itself. */
export function createJobConsumer(options: JobConsumerOptions): JobConsumer {
  const { queue, logger } = options;
  const limit = Math.max(1, options.concurrency);
  const pool = createDeliveryPool({ queue, limit, handler: options.handler, logger });
  const state: ConsumerState = {
    options,
    limit,
    pool,
    channel: undefined,
    consumerTag: undefined,
    closing: false,
    paused: false,
    failures: 0,
    ...readyLatch(),
  };

  return {
    start() {
      void subscribe(state);
    },
    async pause() {
      if (state.paused || state.closing) return;
      state.paused = true;
      const ch = state.channel;
      if (ch?.active && state.consumerTag !== undefined) await ch.basicCancel(state.consumerTag).catch(() => undefined);
      state.consumerTag = undefined;
      pool.requeueWaiting();
    },
    resume() {
      if (!state.paused || state.closing) return;
      state.paused = false;
      const ch = state.channel;
      if (ch?.active) {
        void consume(state, ch)
          .then((ok) => (state.consumerTag = ok.consumerTag))
          .catch((error: unknown) => logger.warn(`Resuming ${queue} failed; re-subscribing`, error));
      } else {
        void subscribe(state);
      }
    },
    async close() {
      state.closing = true;
      const ch = state.channel;
      if (ch?.active && state.consumerTag !== undefined) await ch.basicCancel(state.consumerTag).catch(() => undefined);
      await pool.close();
      if (ch?.active) await ch.close().catch(() => undefined);
    },
    get active() {
      return pool.active;
    },
    get subscribed() {
      return !state.paused && !state.closing && state.consumerTag !== undefined && state.channel?.active === true;
    },
    get ready() {
      return state.ready;
    },
  };
}

/** Subscribes on a new channel, trying again with a growing pause until it succeeds or the consumer pauses or closes. */
async function subscribe(state: ConsumerState): Promise<void> {
  const { queue, logger } = state.options;
  while (!state.closing && !state.paused) {
    try {
      const ch = await openChannel(state.options, state.limit, (closed) => onClose(state, closed));
      if (state.closing || state.paused) return void ch.close().catch(() => undefined);
      state.channel = ch;
      const ok = await consume(state, ch);
      state.consumerTag = ok.consumerTag;
      if (state.failures > 0) logger.info(`Consuming ${queue} again`);
      state.failures = 0;
      state.markReady();
      return;
    } catch (error) {
      state.options.onSetupError?.(error);
      // Logged once per outage, not per attempt; acquire() itself waits for the connection to return.
      if (state.failures++ === 0 && !state.closing) logger.warn(`Cannot consume ${queue} yet: ${errorMessage(error)}`);
      await new Promise((resolve) => setTimeout(resolve, retryDelay(Math.min(state.failures, 5), 200, { maxDelayMs: 5000 })).unref());
    }
  }
}

/** Acquires a channel and declares the queue, its exchanges and bindings, and the prefetch on it. */
async function openChannel(options: JobConsumerOptions, limit: number, onClose: (ch: Channel) => void): Promise<Channel> {
  const { connection, queue, logger } = options;
  const ch = await connection.acquire({ emitErrorsFromChannel: true });
  ch.on('error', (error: unknown) => logger.warn(`Channel of ${queue}: ${errorMessage(error)}`));
  ch.once('close', () => onClose(ch));
  await ch.queueDeclare({ queue, durable: true, exclusive: false, autoDelete: false, arguments: options.queueArguments });
  for (const exchange of options.exchanges) await ch.exchangeDeclare(exchange);
  for (const binding of options.bindings) await ch.queueBind({ queue, ...binding });
  await ch.basicQos({ prefetchCount: limit });
  return ch;
}

/** Starts consuming the queue on a channel, with manual acks. */
function consume(state: ConsumerState, ch: Channel): ReturnType<Channel['basicConsume']> {
  return ch.basicConsume({ queue: state.options.queue, noAck: false }, (message) => state.pool.receive({ channel: ch, message }));
}

/** Forgets a channel that closed under the consumer and, unless it pauses or closes, subscribes again. */
function onClose(state: ConsumerState, ch: Channel): void {
  if (ch !== state.channel) return;
  state.channel = undefined;
  state.consumerTag = undefined;
  // Deliveries buffered on the dead channel cannot be acked; the broker has already requeued them.
  state.pool.forget(ch);
  if (!state.closing && !state.paused) {
    Object.assign(state, readyLatch());
    void subscribe(state);
  }
}
