// The acks of one channel, sent once per event-loop turn. The settled deliveries at the head of the channel's
// unsettled ones (in delivery order) are acked with one multiple-ack; an ack behind a delivery still running goes
// out on its own in the same turn, so no ack waits for another job. At concurrency 100 most jobs finish in
// delivery order, and one frame then settles many deliveries: fewer frames for the broker's channel process
// and for the worker's encoder. Nacks go out at once (they requeue or dead-letter one delivery each).
import type { Channel } from 'rabbitmq-client';

/** The acks of one channel. */
export interface AckBatcher {
  /** Call for every delivery of the channel, in delivery order, before it can be settled. */
  delivered(deliveryTag: number): void;
  /** Acks the delivery in this turn's ack frame(s). */
  ack(deliveryTag: number): void;
  /** Nacks the delivery now. */
  nack(deliveryTag: number, requeue: boolean): void;
  /** Sends the acks of this turn now (before the channel closes). */
  flush(): void;
}

/** Settled locally: an ack still to send, or settled on the wire (acked alone or nacked). */
type Settled = 'ack' | 'sent';

/** What the batcher reports: acks that found the channel closed, and an ack the client refused (the broker redelivers both). */
export interface AckBatcherEvents {
  readonly onLost: (count: number) => void;
  readonly onError: (error: unknown) => void;
}

/** Creates the batcher of a channel. */
export function createAckBatcher(channel: Channel, events: AckBatcherEvents): AckBatcher {
  // Delivery tags not yet passed by the head, in delivery order (a channel's tags only grow).
  let order: number[] = [];
  let head = 0;
  const settled = new Map<number, Settled>();
  let due: number[] = [];
  let scheduled = false;

  const flush = () => {
    scheduled = false;
    if (due.length === 0 && head === order.length) return;
    const acks = due;
    due = [];
    if (!channel.active) {
      events.onLost(acks.filter((tag) => settled.get(tag) === 'ack').length);
      return;
    }
    try {
      send(acks);
    } catch (error) {
      events.onError(error);
    }
  };
  const send = (acks: readonly number[]) => {
    let upTo = -1;
    while (head < order.length) {
      const tag = order[head]!;
      const state = settled.get(tag);
      if (state === undefined) break;
      if (state === 'ack') upTo = tag;
      settled.delete(tag);
      head++;
    }
    if (head > 1024 && head * 2 > order.length) {
      order = order.slice(head);
      head = 0;
    }
    if (upTo >= 0) channel.basicAck({ deliveryTag: upTo, multiple: true });
    for (const tag of acks) {
      if (settled.get(tag) !== 'ack') continue;
      channel.basicAck({ deliveryTag: tag });
      settled.set(tag, 'sent');
    }
  };
  const schedule = () => {
    if (scheduled) return;
    scheduled = true;
    setImmediate(flush);
  };

  return {
    delivered(deliveryTag) {
      order.push(deliveryTag);
    },
    ack(deliveryTag) {
      settled.set(deliveryTag, 'ack');
      due.push(deliveryTag);
      schedule();
    },
    nack(deliveryTag, requeue) {
      channel.basicNack({ deliveryTag, requeue });
      settled.set(deliveryTag, 'sent');
      // The head may now pass it (and acks behind it may join the next multiple-ack).
      schedule();
    },
    flush,
  };
}
