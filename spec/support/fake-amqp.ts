// Small fakes for unit specs of the AMQP adapters: rabbitmq-client's Connection and Channel (just the methods
// the job consumer, the source and the republisher call, every call recorded) and a confirmed publisher.
import { EventEmitter } from 'node:events';
import type { AsyncMessage, Connection, Envelope } from 'rabbitmq-client';
import type { AmqpPublisher } from '../../lib/transports/amqp/create-amqp-publisher.ts';

/** One recorded call on a fake channel or connection. */
export interface FakeCall {
  readonly method: string;
  readonly args: readonly unknown[];
}

/** A raw channel as {@link Connection.acquire} hands it out. */
export class FakeChannel extends EventEmitter {
  active = true;
  readonly calls: FakeCall[] = [];
  readonly acks: number[] = [];
  readonly nacks: { deliveryTag: number; requeue: boolean }[] = [];
  /** Live consumers by tag. */
  readonly consumers = new Map<string, (message: AsyncMessage) => void>();
  /** Set to make basicAck / basicNack throw (a channel closing under the caller). */
  failSettle = false;
  /** Set to make the next basicConsume reject. */
  failConsume = false;
  private tags = 0;
  private deliveryTags = 0;

  constructor(readonly id: number) {
    super();
  }

  private record(method: string, ...args: unknown[]): void {
    this.calls.push({ method, args });
  }

  /** The methods called, in order. */
  methods(): string[] {
    return this.calls.map((c) => c.method);
  }

  queueDeclare(params: unknown) {
    this.record('queueDeclare', params);
    return Promise.resolve({ queue: (params as { queue: string }).queue, messageCount: 0, consumerCount: 0 });
  }
  exchangeDeclare(params: unknown) {
    this.record('exchangeDeclare', params);
    return Promise.resolve();
  }
  queueBind(params: unknown) {
    this.record('queueBind', params);
    return Promise.resolve();
  }
  basicQos(params: unknown) {
    this.record('basicQos', params);
    return Promise.resolve();
  }
  basicConsume(params: unknown, callback: (message: AsyncMessage) => void) {
    this.record('basicConsume', params);
    if (this.failConsume) {
      this.failConsume = false;
      return Promise.reject(new Error('basic.consume refused'));
    }
    const consumerTag = `ctag-${this.id}-${++this.tags}`;
    this.consumers.set(consumerTag, callback);
    return Promise.resolve({ consumerTag });
  }
  basicCancel(consumerTag: string) {
    this.record('basicCancel', consumerTag);
    this.consumers.delete(consumerTag);
    return Promise.resolve({ consumerTag });
  }
  basicAck(params: { deliveryTag: number; multiple?: boolean }) {
    this.record('basicAck', params);
    if (this.failSettle) throw new Error('channel is closing');
    if (params.multiple !== true) return void this.acks.push(params.deliveryTag);
    // As the broker does: every delivery up to the tag not yet acked or nacked, in tag order.
    const settled = new Set([...this.acks, ...this.nacks.map((n) => n.deliveryTag)]);
    for (let tag = 1; tag <= params.deliveryTag; tag++) if (!settled.has(tag)) this.acks.push(tag);
  }
  basicNack(params: { deliveryTag: number; requeue?: boolean }) {
    this.record('basicNack', params);
    if (this.failSettle) throw new Error('channel is closing');
    this.nacks.push({ deliveryTag: params.deliveryTag, requeue: params.requeue ?? true });
  }
  close() {
    this.record('close');
    this.drop();
    return Promise.resolve();
  }

  /** The broker (or the network) closes the channel: it goes inactive and emits `close`. */
  drop(): void {
    if (!this.active) return;
    this.active = false;
    this.consumers.clear();
    this.emit('close');
  }

  /** Delivers one message to every live consumer; returns the message. */
  deliver(body: unknown, fields: Partial<AsyncMessage> = {}): AsyncMessage {
    const message: AsyncMessage = {
      body,
      consumerTag: [...this.consumers.keys()][0] ?? '',
      deliveryTag: ++this.deliveryTags,
      exchange: 'jobs.topic',
      redelivered: false,
      routingKey: 'spec.job.job',
      ...fields,
    } as AsyncMessage;
    for (const consumer of this.consumers.values()) consumer(message);
    return message;
  }
}

/** A connection whose `acquire()` hands out fresh {@link FakeChannel}s, or fails while `failAcquire` > 0. */
export class FakeConnection extends EventEmitter {
  readonly channels: FakeChannel[] = [];
  readonly calls: FakeCall[] = [];
  /** The next this many acquire() calls reject. */
  failAcquire = 0;
  /** Set to make queueDeclare (the delay queues of retries) reject. */
  failQueueDeclare = false;
  ready = true;

  acquire(options?: unknown) {
    this.calls.push({ method: 'acquire', args: [options] });
    if (this.failAcquire > 0) {
      this.failAcquire--;
      return Promise.reject(new Error('connection lost'));
    }
    const channel = new FakeChannel(this.channels.length + 1);
    this.channels.push(channel);
    return Promise.resolve(channel);
  }

  queueDeclare(params: unknown) {
    this.calls.push({ method: 'queueDeclare', args: [params] });
    if (this.failQueueDeclare) return Promise.reject(new Error('queue.declare refused'));
    return Promise.resolve({ queue: (params as { queue: string }).queue, messageCount: 0, consumerCount: 0 });
  }

  /** The newest channel handed out. */
  get channel(): FakeChannel {
    const last = this.channels[this.channels.length - 1];
    if (last === undefined) throw new Error('no channel acquired yet');
    return last;
  }

  /** This fake, typed as the rabbitmq-client Connection the adapters take. */
  asConnection(): Connection {
    return this as unknown as Connection;
  }
}

/** Lets pending promise continuations run (setImmediate is never mocked in these specs). */
export const flush = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

/** Waits, turn by turn, until `check` holds; fails after `turns` event-loop turns rather than after a time. */
export async function until(check: () => boolean, what = 'a condition', turns = 500): Promise<void> {
  for (let i = 0; i < turns; i++) {
    if (check()) return;
    await flush();
  }
  throw new Error(`${what} did not happen within ${turns} event-loop turns`);
}

/** A promise with its resolve function, for handlers and publishes a test settles by hand. */
export interface Deferred<T> {
  readonly promise: Promise<T>;
  resolve(value: T): void;
  reject(error: unknown): void;
}

/** Creates a {@link Deferred}. */
export function deferred<T>(): Deferred<T> {
  let resolve!: (value: T) => void;
  let reject!: (error: unknown) => void;
  const promise = new Promise<T>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  return { promise, resolve, reject };
}

/** One publish a {@link FakePublisher} received. */
interface FakePublish {
  readonly envelope: Envelope;
  readonly body: Buffer;
}

/** A confirmed publisher that records what it is asked to publish; `fail` makes publishes reject. */
export interface FakePublisher extends AmqpPublisher {
  readonly published: FakePublish[];
  /** Publishes reject while this returns true. */
  fail: (envelope: Envelope) => boolean;
}

/** Creates a {@link FakePublisher} whose publishes resolve at once (the broker's confirm). */
export function fakePublisher(): FakePublisher {
  const published: FakePublish[] = [];
  const self: FakePublisher = {
    published,
    fail: () => false,
    publish(envelope, body) {
      if (self.fail(envelope)) return Promise.reject(new Error('publish not confirmed'));
      published.push({ envelope, body });
      return Promise.resolve();
    },
    publishJson(queue, message, options = {}) {
      return self.publish({ exchange: '', routingKey: queue, durable: options.durable ?? true }, Buffer.from(JSON.stringify(message)));
    },
    toWire: () => {
      throw new Error('not used by these specs');
    },
    write: () => Promise.reject(new Error('not used by these specs')),
    close: () => Promise.resolve(),
  };
  return self;
}
