// Unit specs of createAckBatcher() over a fake channel (pure logic): which ack frames one event-loop turn sends.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Channel } from 'rabbitmq-client';
import { createAckBatcher } from '../../../lib/transports/amqp/create-ack-batcher.ts';

const turn = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

/** A channel that records its ack and nack frames. */
function fakeChannel() {
  const frames: string[] = [];
  const channel = {
    active: true,
    failAck: false,
    basicAck({ deliveryTag, multiple }: { deliveryTag: number; multiple?: boolean }) {
      if (channel.failAck) throw new Error('channel is closing');
      frames.push(multiple === true ? `ack≤${deliveryTag}` : `ack ${deliveryTag}`);
    },
    basicNack({ deliveryTag, requeue }: { deliveryTag: number; requeue?: boolean }) {
      frames.push(`${requeue === true ? 'requeue' : 'drop'} ${deliveryTag}`);
    },
  };
  return { channel, frames, asChannel: () => channel as unknown as Channel };
}

function setup() {
  const fake = fakeChannel();
  const lost: number[] = [];
  const errors: unknown[] = [];
  const batcher = createAckBatcher(fake.asChannel(), { onLost: (n) => lost.push(n), onError: (e) => errors.push(e) });
  const deliver = (...tags: number[]) => tags.forEach((t) => batcher.delivered(t));
  return { ...fake, batcher, deliver, lost, errors };
}

describe('createAckBatcher', () => {
  it('acks a run of deliveries settled in delivery order with one multiple-ack in the next turn', async () => {
    const { batcher, deliver, frames } = setup();
    deliver(1, 2, 3, 4);
    batcher.ack(1);
    batcher.ack(2);
    batcher.ack(3);
    assert.deepEqual(frames, [], 'nothing is sent in the same turn');
    await turn();
    assert.deepEqual(frames, ['ack≤3']);
    batcher.ack(4);
    await turn();
    assert.deepEqual(frames, ['ack≤3', 'ack≤4']);
  });

  it('acks a delivery behind a running one on its own, then covers the rest once the running one settles', async () => {
    const { batcher, deliver, frames } = setup();
    deliver(1, 2, 3, 4);
    batcher.ack(2);
    batcher.ack(4);
    await turn();
    assert.deepEqual(frames, ['ack 2', 'ack 4'], 'no ack waits for delivery 1, which still runs');
    batcher.ack(1);
    batcher.ack(3);
    await turn();
    // 1 and 3 are the only unacked tags up to 3 on the broker: one multiple-ack settles both.
    assert.deepEqual(frames, ['ack 2', 'ack 4', 'ack≤3']);
  });

  it('sends nacks at once, and the head passes them', async () => {
    const { batcher, deliver, frames } = setup();
    deliver(1, 2, 3);
    batcher.nack(1, true);
    batcher.nack(2, false);
    assert.deepEqual(frames, ['requeue 1', 'drop 2']);
    batcher.ack(3);
    await turn();
    assert.deepEqual(frames, ['requeue 1', 'drop 2', 'ack≤3']);
  });

  it('flush() sends this turn’s acks at once (before the consumer closes its channel)', () => {
    const { batcher, deliver, frames } = setup();
    deliver(7, 8);
    batcher.ack(7);
    batcher.ack(8);
    batcher.flush();
    assert.deepEqual(frames, ['ack≤8']);
  });

  it('reports acks that find the channel closed, and an ack the client refuses, without throwing', async () => {
    const { batcher, deliver, frames, channel, lost, errors } = setup();
    deliver(1, 2);
    batcher.ack(1);
    batcher.ack(2);
    channel.active = false;
    await turn();
    assert.deepEqual(lost, [2]);
    assert.deepEqual(frames, []);
    const next = setup();
    next.deliver(5);
    next.batcher.ack(5);
    next.channel.failAck = true;
    await turn();
    assert.equal(next.errors.length, 1);
    assert.match(String(next.errors[0]), /closing/);
    assert.deepEqual(errors, []);
  });

  it('keeps its order list short over many deliveries', async () => {
    const { batcher, deliver, frames } = setup();
    for (let t = 1; t <= 5000; t++) {
      deliver(t);
      batcher.ack(t);
      if (t % 100 === 0) await turn();
    }
    await turn();
    assert.equal(frames.length, 50, 'one multiple-ack per turn of 100');
    assert.equal(frames.at(-1), 'ack≤5000');
  });
});
