// One job queue's consumer, the one home of its deliveries in flight: it runs at most `concurrency` handlers
// (the rest wait in arrival order), counts the jobs that run, warns before one holds its delivery past the
// broker's consumer_timeout, and settles each delivery on the channel that delivered it (acks batched per turn by
// create-ack-batcher.ts; with that channel gone, the broker redelivers). It keeps consuming across reconnects while
// jobs run (subscribe-job-queue.ts), which rabbitmq-client's Consumer does not: it waits for every handler first.
import type { AsyncMessage, Channel } from 'rabbitmq-client';
import type { Settlement } from '../../core/vocabulary/delivery-fate.js';
import type { Attempt } from '../../core/vocabulary/ports.js';
import { WorkerDefaults } from '../../core/vocabulary/defaults.js';
import { createAckBatcher, type AckBatcher } from './create-ack-batcher.js';
import { watchHeldJobs, type HeldJob } from './watch-held-jobs.js';
import { cancelConsume, consumeOn, readyLatch, subscribeJobQueue, type JobQueueTopology, type Subscription } from './subscribe-job-queue.js';

/** Options of {@link createJobConsumer}. */
export interface JobConsumerOptions extends JobQueueTopology {
  /** Prefetch and local concurrency. */
  readonly concurrency: number;
  /** Handles one delivery and says what becomes of it: ack, requeue or reject. */
  readonly handler: (message: AsyncMessage, flight: Flight) => Promise<Settlement>;
  /** The broker's consumer_timeout (default RabbitMq:ConsumerTimeoutSeconds): a job holding its delivery past 80 % of it is warned about, once. */
  readonly consumerTimeoutMs?: number | undefined;
  /** Called when a job starts or ends (the count of running jobs changed). */
  readonly onJobsChanged?: (() => void) | undefined;
  /** Told of each delivery not started that a pause or a close gives back, before it goes: its redelivery is no crash. */
  readonly release?: ((message: AsyncMessage) => Promise<void>) | undefined;
  /** Told what a claimed attempt's delivery was told; `delivered` false when its channel was gone. */
  readonly onSettled?: ((attempt: Attempt, settlement: Settlement, delivered: boolean) => void) | undefined;
}

/** A delivery in flight, as its handler sees it. */
export interface Flight {
  /** Claims the delivery for an attempt of an occurrence: `occurrence()` finds it until the delivery is settled. */
  claim(occurrenceId: string, retryCount: number): void;
  /** Its job starts: from now it counts as running, and the watchdog names it `label`. */
  hold(label: string): void;
  /** Its job ended (what its delivery will be told may still be on its way). */
  release(): void;
  /** Aborts once the channel that delivered it is gone: it can no longer be settled, and the broker redelivers it. */
  readonly lost: AbortSignal;
}

/** The attempt of an occurrence that a delivery in flight runs, and what that delivery will be told. */
export interface ClaimedOccurrence {
  readonly retryCount: number;
  readonly settlement: Promise<Settlement>;
}

/** A running consumer of one job queue. */
export interface JobConsumer {
  /** Subscribes to the queue in the background, and starts the watchdog. */
  start(): void;
  /** Stops taking deliveries (running ones go on; ones not started go back to the queue) until `resume()`. */
  pause(): Promise<void>;
  /** Takes deliveries again after `pause()`. */
  resume(): void;
  /** Cancels the subscription, returns deliveries not started to the queue, waits for running handlers. */
  close(): Promise<void>;
  /** Jobs running on this consumer's deliveries (held from their start to their end): the count of work in flight. */
  readonly running: number;
  /** The delivery in flight that runs an attempt of this occurrence, if any. */
  occurrence(occurrenceId: string): ClaimedOccurrence | undefined;
  /** Subscribed right now (not paused, channel open). */
  readonly subscribed: boolean;
  /** Resolves when the subscription is (re)established. */
  readonly ready: Promise<void>;
}

/** A delivery whose handler runs; it leaves the set when it is settled. */
interface InFlight extends Delivery {
  /** Resolves once the delivery is settled and has left the set. */
  readonly settlement: Promise<Settlement>;
  claimed: Attempt | undefined;
  /** Set while its job runs: the count and the watchdog read it. */
  job: HeldJob | undefined;
  /** Made only when a handler asks for `Flight.lost` (a job waiting for its limit): no allocation per delivery otherwise. */
  lost: AbortController | undefined;
}

/** A delivery waiting for a free slot, and the channel that delivered it (the only one that can settle it). */
type Delivery = { readonly channel: Channel; readonly message: AsyncMessage };

/** Creates a consumer; it subscribes on `start()` and re-subscribes after every reconnect by itself. */
export function createJobConsumer(options: JobConsumerOptions): JobConsumer {
  const { queue, logger } = options;
  const consumerTimeoutMs = options.consumerTimeoutMs ?? WorkerDefaults.rabbitMq.consumerTimeoutSeconds * 1000;
  const limit = Math.max(1, options.concurrency);
  const flights = new Set<InFlight>();
  const waiting: Delivery[] = [];
  const acks = channelAckers(options);
  let watchdog: NodeJS.Timeout | undefined;
  const sub: Subscription = {
    topology: options,
    prefetch: limit,
    receive: (channel, message) => {
      acks.ackerOf(channel).delivered(message.deliveryTag);
      if (flights.size < limit) run({ channel, message });
      else waiting.push({ channel, message });
    },
    forget: (channel) => {
      acks.ackers.delete(channel);
      for (let i = waiting.length - 1; i >= 0; i--) if (waiting[i]!.channel === channel) waiting.splice(i, 1);
      for (const flight of flights) if (flight.channel === channel) flight.lost?.abort();
    },
    channel: undefined,
    consumerTag: undefined,
    closing: false,
    paused: false,
    failures: 0,
    ...readyLatch(),
  };

  function run({ channel, message }: Delivery): void {
    let tell!: (settlement: Settlement) => void;
    const settlement = new Promise<Settlement>((resolve) => (tell = resolve));
    const flight: InFlight = { channel, message, settlement, claimed: undefined, job: undefined, lost: undefined };
    flights.add(flight);
    const handle: Flight = {
      claim: (occurrenceId, retryCount) => void (flight.claimed = { occurrenceId, retryCount }),
      hold(label) {
        flight.job = { label, since: Date.now(), warned: false };
        options.onJobsChanged?.();
      },
      release() {
        if (flight.job === undefined) return;
        flight.job = undefined;
        options.onJobsChanged?.();
      },
      get lost() {
        if (flight.lost === undefined) {
          flight.lost = new AbortController();
          if (!channel.active) flight.lost.abort();
        }
        return flight.lost.signal;
      },
    };
    void options
      .handler(message, handle)
      .catch((error: unknown) => {
        logger.error(`Handling a delivery of ${queue} failed; requeueing it`, error);
        return 'requeue' as const;
      })
      .then((answer) => {
        // Settled and gone before any copy waiting on this settlement resumes: the next attempt finds no claim.
        const delivered = settle(flight, answer);
        if (flight.claimed !== undefined) options.onSettled?.(flight.claimed, answer, delivered);
        flights.delete(flight);
        handle.release();
        tell(answer);
        pump();
      });
  }

  function pump(): void {
    while (flights.size < limit && waiting.length > 0) {
      const next = waiting.shift()!;
      if (next.channel.active) run(next);
    }
  }

  /** Settles a delivery on its channel; false when the channel is gone (the broker redelivers it). */
  function settle({ channel: ch, message }: Delivery, settlement: Settlement): boolean {
    if (!ch.active) return (acks.warnLost(ch), false);
    try {
      if (settlement === 'ack') acks.ackerOf(ch).ack(message.deliveryTag);
      else acks.ackerOf(ch).nack(message.deliveryTag, settlement === 'requeue');
      return true;
    } catch (error) {
      logger.warn(`Could not ${VERB[settlement]} a message of ${queue}; the broker redelivers it`, error);
      return false;
    }
  }

  async function requeueWaiting(): Promise<void> {
    const given = waiting.splice(0);
    await Promise.all(given.map((d) => options.release?.(d.message).catch(() => undefined)));
    for (const delivery of given) settle(delivery, 'requeue');
  }

  return {
    start() {
      void subscribeJobQueue(sub);
      watchdog = watchHeldJobs(flights, consumerTimeoutMs, logger);
    },
    async pause() {
      if (sub.paused || sub.closing) return;
      sub.paused = true;
      await cancelConsume(sub);
      await requeueWaiting();
    },
    resume() {
      if (!sub.paused || sub.closing) return;
      sub.paused = false;
      const ch = sub.channel;
      if (ch?.active) {
        void consumeOn(sub, ch)
          .then((ok) => (sub.consumerTag = ok.consumerTag))
          .catch((error: unknown) => logger.warn(`Resuming ${queue} failed; re-subscribing`, error));
      } else {
        void subscribeJobQueue(sub);
      }
    },
    async close() {
      sub.closing = true;
      clearInterval(watchdog);
      const ch = sub.channel;
      await cancelConsume(sub);
      await requeueWaiting();
      while (flights.size > 0) await Promise.all([...flights].map((f) => f.settlement));
      // The last acks would otherwise go out on the next turn, after the channel closed.
      for (const acker of acks.ackers.values()) acker.flush();
      if (ch?.active) await ch.close().catch(() => undefined);
    },
    get running() {
      let jobs = 0;
      for (const flight of flights) if (flight.job !== undefined) jobs++;
      return jobs;
    },
    occurrence(occurrenceId) {
      for (const { claimed, settlement } of flights) if (claimed?.occurrenceId === occurrenceId) return { retryCount: claimed.retryCount, settlement };
      return undefined;
    },
    get subscribed() {
      return !sub.paused && !sub.closing && sub.consumerTag !== undefined && sub.channel?.active === true;
    },
    get ready() {
      return sub.ready;
    },
  };
}

const VERB = { ack: 'ack', requeue: 'requeue', reject: 'drop' } as const satisfies Record<Settlement, string>; // 'drop': a reject's old name in logs

/** The ack batcher of each channel, and one warning per channel that closed with deliveries unsettled. */
function channelAckers({ queue, logger }: JobConsumerOptions) {
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
