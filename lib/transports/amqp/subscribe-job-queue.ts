// The channel side of a job consumer (create-job-consumer.ts): acquires a channel, declares the queue, its
// exchanges and bindings and the prefetch, consumes with manual acks, and subscribes again with a growing pause
// after the channel is lost. What arrives goes to the consumer's `receive`; it knows nothing of running jobs.
import type { AsyncMessage, Channel, Connection } from 'rabbitmq-client';
import { errorMessage } from '../../core/util/error-message.js';
import { retryDelay } from '../../core/engine/retry-delay.js';
import type { TechnicalLogger } from '../../core/vocabulary/types.js';

/** The queue a job consumer subscribes to, and where it reports. */
export interface JobQueueTopology {
  readonly connection: Connection;
  readonly queue: string;
  readonly queueArguments: Record<string, unknown>;
  readonly exchanges: readonly { exchange: string; type: string; durable: boolean }[];
  readonly bindings: readonly { exchange: string; routingKey: string }[];
  readonly logger: TechnicalLogger;
  /** Told of each failed subscription attempt (a worker's start fails on a permission refusal). */
  readonly onSetupError?: ((error: unknown) => void) | undefined;
}

/** The subscription of one consumer: shared by the functions below and the consumer's methods. */
export interface Subscription {
  readonly topology: JobQueueTopology;
  readonly prefetch: number;
  /** Takes a delivery of a channel. */
  readonly receive: (channel: Channel, message: AsyncMessage) => void;
  /** Told that a channel closed under the consumer (its buffered deliveries can no longer be settled). */
  readonly forget: (channel: Channel) => void;
  channel: Channel | undefined;
  consumerTag: string | undefined;
  closing: boolean;
  paused: boolean;
  failures: number;
  ready: Promise<void>;
  markReady: () => void;
}

/** A fresh `ready` promise and the function that resolves it. */
export function readyLatch(): Pick<Subscription, 'ready' | 'markReady'> {
  let markReady!: () => void;
  const ready = new Promise<void>((resolve) => (markReady = resolve));
  return { ready, markReady };
}

/** Subscribes on a new channel, trying again with a growing pause until it succeeds or the consumer pauses or closes. */
export async function subscribeJobQueue(sub: Subscription): Promise<void> {
  const { queue, logger } = sub.topology;
  while (!sub.closing && !sub.paused) {
    try {
      const ch = await openChannel(sub.topology, sub.prefetch, (closed) => onClose(sub, closed));
      if (sub.closing || sub.paused) return void ch.close().catch(() => undefined);
      sub.channel = ch;
      const ok = await consumeOn(sub, ch);
      sub.consumerTag = ok.consumerTag;
      if (sub.failures > 0) logger.info(`Consuming ${queue} again`);
      sub.failures = 0;
      sub.markReady();
      return;
    } catch (error) {
      sub.topology.onSetupError?.(error);
      // Logged once per outage, not per attempt; acquire() itself waits for the connection to return.
      if (sub.failures++ === 0 && !sub.closing) logger.warn(`Cannot consume ${queue} yet: ${errorMessage(error)}`);
      await new Promise((resolve) => setTimeout(resolve, retryDelay(Math.min(sub.failures, 5), 200, { maxDelayMs: 5000 })).unref());
    }
  }
}

/** Starts consuming the queue on a channel, with manual acks. */
export function consumeOn(sub: Subscription, ch: Channel): ReturnType<Channel['basicConsume']> {
  return ch.basicConsume({ queue: sub.topology.queue, noAck: false }, (message) => sub.receive(ch, message));
}

/** Cancels the subscription on its channel, if it has one (pause and close). */
export async function cancelConsume(sub: Subscription): Promise<void> {
  const ch = sub.channel;
  if (ch?.active && sub.consumerTag !== undefined) await ch.basicCancel(sub.consumerTag).catch(() => undefined);
  sub.consumerTag = undefined;
}

/** Acquires a channel and declares the queue, its exchanges and bindings, and the prefetch on it. */
async function openChannel(topology: JobQueueTopology, prefetch: number, onClosed: (ch: Channel) => void): Promise<Channel> {
  const { connection, queue, logger } = topology;
  const ch = await connection.acquire({ emitErrorsFromChannel: true });
  ch.on('error', (error: unknown) => logger.warn(`Channel of ${queue}: ${errorMessage(error)}`));
  ch.once('close', () => onClosed(ch));
  await ch.queueDeclare({ queue, durable: true, exclusive: false, autoDelete: false, arguments: topology.queueArguments });
  for (const exchange of topology.exchanges) await ch.exchangeDeclare(exchange);
  for (const binding of topology.bindings) await ch.queueBind({ queue, ...binding });
  await ch.basicQos({ prefetchCount: prefetch });
  return ch;
}

/** Forgets a channel that closed under the consumer and, unless it pauses or closes, subscribes again. */
function onClose(sub: Subscription, ch: Channel): void {
  if (ch !== sub.channel) return;
  sub.channel = undefined;
  sub.consumerTag = undefined;
  // Deliveries buffered on the dead channel cannot be acked; the broker has already requeued them.
  sub.forget(ch);
  if (!sub.closing && !sub.paused) {
    Object.assign(sub, readyLatch());
    void subscribeJobQueue(sub);
  }
}
