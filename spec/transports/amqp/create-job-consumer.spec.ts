// Unit specs of createJobConsumer() over a fake rabbitmq-client connection: topology and prefetch, acks and
// nacks, the concurrency limit, the count of running jobs and the claims of occurrences, the consumer_timeout
// watchdog, channel loss and re-subscription, backoff, pause / resume and close.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { AsyncMessage } from 'rabbitmq-client';
import type { Settlement } from '../../../lib/core/vocabulary/delivery-fate.ts';
import { createJobConsumer, type Flight, type JobConsumerOptions } from '../../../lib/transports/amqp/create-job-consumer.ts';
import { deferred, FakeConnection, flush, until, type Deferred } from '../../support/fake-amqp.ts';
import { captureLogger } from '../../support/loggers.ts';
import { track } from '../../support/pipeline-harness.ts';

const QUEUE = 'scheduled_jobs_queue.spec.echo.wildcard';

/**
 * A consumer over a fake connection whose handler holds each delivery for a job named by its body, and waits
 * for the test to settle it.
 */
function setup(overrides: Partial<JobConsumerOptions> = {}) {
  const connection = new FakeConnection();
  const logger = captureLogger();
  const handled: AsyncMessage[] = [];
  const flights = new Map<AsyncMessage, Flight>();
  const pending = new Map<AsyncMessage, Deferred<Settlement>>();
  let jobsChanged = 0;
  const consumer = createJobConsumer({
    connection: connection.asConnection(),
    queue: QUEUE,
    queueArguments: { 'x-dead-letter-exchange': 'dlx_scheduled_jobs' },
    exchanges: [{ exchange: 'jobs.topic', type: 'topic', durable: true }],
    bindings: [{ exchange: 'jobs.topic', routingKey: 'spec.echo.*' }],
    concurrency: 2,
    handler: (message, flight) => {
      handled.push(message);
      flights.set(message, flight);
      flight.hold(`Job ${String(message.body)}`);
      const d = deferred<Settlement>();
      pending.set(message, d);
      return d.promise;
    },
    logger,
    onJobsChanged: () => void jobsChanged++,
    ...overrides,
  });
  /** Settles the handler of a delivery. */
  const settle = async (message: AsyncMessage, settlement: Settlement) => {
    const d = pending.get(message);
    assert.ok(d, `delivery ${message.deliveryTag} is not being handled`);
    d.resolve(settlement);
    await flush();
    await flush();
  };
  return { connection, logger, handled, flights, pending, consumer, settle, changes: () => jobsChanged };
}

describe('createJobConsumer', () => {
  it('declares the queue, exchanges and bindings, sets prefetch to the concurrency, then consumes with manual acks', async () => {
    const { connection, consumer } = setup({ concurrency: 7 });
    assert.equal(consumer.subscribed, false);
    consumer.start();
    await consumer.ready;
    const ch = connection.channel;
    assert.deepEqual(connection.calls[0]?.args, [{ emitErrorsFromChannel: true }]);
    assert.deepEqual(ch.methods(), ['queueDeclare', 'exchangeDeclare', 'queueBind', 'basicQos', 'basicConsume']);
    assert.deepEqual(ch.calls[0]?.args[0], {
      queue: QUEUE,
      durable: true,
      exclusive: false,
      autoDelete: false,
      arguments: { 'x-dead-letter-exchange': 'dlx_scheduled_jobs' },
    });
    assert.deepEqual(ch.calls[1]?.args[0], { exchange: 'jobs.topic', type: 'topic', durable: true });
    assert.deepEqual(ch.calls[2]?.args[0], { queue: QUEUE, exchange: 'jobs.topic', routingKey: 'spec.echo.*' });
    assert.deepEqual(ch.calls[3]?.args[0], { prefetchCount: 7 });
    assert.deepEqual(ch.calls[4]?.args[0], { queue: QUEUE, noAck: false });
    assert.equal(consumer.subscribed, true);
    await consumer.close();
  });

  it('uses a prefetch (and concurrency) of at least one', async () => {
    const { connection, consumer, handled, settle } = setup({ concurrency: 0 });
    consumer.start();
    await consumer.ready;
    assert.deepEqual(connection.channel.calls.find((c) => c.method === 'basicQos')?.args[0], { prefetchCount: 1 });
    const a = connection.channel.deliver('a');
    connection.channel.deliver('b');
    await flush();
    assert.equal(handled.length, 1, 'a concurrency of 0 still runs one delivery at a time');
    await settle(a, 'ack');
    assert.equal(handled.length, 2);
  });

  it('acks, rejects (nack without requeue) or requeues (nack with requeue) as the handler says', async () => {
    const { connection, consumer, settle } = setup({ concurrency: 3 });
    consumer.start();
    await consumer.ready;
    const ch = connection.channel;
    const [a, b, c] = [ch.deliver('a'), ch.deliver('b'), ch.deliver('c')];
    await flush();
    await settle(a, 'ack');
    await settle(b, 'reject');
    await settle(c, 'requeue');
    assert.deepEqual(ch.acks, [a.deliveryTag]);
    assert.deepEqual(ch.nacks, [
      { deliveryTag: b.deliveryTag, requeue: false },
      { deliveryTag: c.deliveryTag, requeue: true },
    ]);
    await consumer.close();
  });

  it('requeues a delivery whose handler throws, and logs the error', async () => {
    const { connection, consumer, pending, logger } = setup();
    consumer.start();
    await consumer.ready;
    const ch = connection.channel;
    const m = ch.deliver('boom');
    await flush();
    pending.get(m)!.reject(new Error('handler bug'));
    await until(() => ch.nacks.length === 1, 'the nack');
    assert.deepEqual(ch.nacks, [{ deliveryTag: m.deliveryTag, requeue: true }]);
    assert.deepEqual(ch.acks, []);
    assert.equal(logger.messages('error').length, 1);
    assert.match(logger.messages('error')[0]!, /requeueing it/);
    assert.equal((logger.lines.find((l) => l.level === 'error')?.args[0] as Error).message, 'handler bug');
    await consumer.close();
  });

  it('runs at most `concurrency` handlers; the others wait and start in arrival order as slots free', async () => {
    const { connection, consumer, handled, settle } = setup({ concurrency: 2 });
    consumer.start();
    await consumer.ready;
    const ch = connection.channel;
    const msgs = ['a', 'b', 'c', 'd'].map((body) => ch.deliver(body));
    await flush();
    assert.deepEqual(handled.map((m) => m.body), ['a', 'b']);
    assert.equal(consumer.running, 2);
    await settle(msgs[1]!, 'ack');
    assert.deepEqual(handled.map((m) => m.body), ['a', 'b', 'c']);
    assert.equal(consumer.running, 2);
    await settle(msgs[0]!, 'ack');
    assert.deepEqual(handled.map((m) => m.body), ['a', 'b', 'c', 'd']);
    await settle(msgs[2]!, 'ack');
    await settle(msgs[3]!, 'ack');
    assert.equal(consumer.running, 0);
    assert.deepEqual(ch.acks, [msgs[1]!.deliveryTag, msgs[0]!.deliveryTag, msgs[2]!.deliveryTag, msgs[3]!.deliveryTag]);
  });

  it('counts the jobs that run: held from hold() to release() or the settlement, each change told', async () => {
    const { connection, consumer, flights, settle, changes } = setup({ concurrency: 3 });
    consumer.start();
    await consumer.ready;
    const ch = connection.channel;
    const [a, b] = [ch.deliver('a'), ch.deliver('b')];
    await flush();
    assert.equal(consumer.running, 2);
    assert.equal(changes(), 2, 'told at each start');
    flights.get(a)!.release();
    assert.equal(consumer.running, 1, 'a job that ended no longer counts while its delivery waits to be settled');
    assert.equal(changes(), 3);
    flights.get(a)!.release();
    assert.equal(changes(), 3, 'a second release changes nothing');
    await settle(a, 'ack');
    assert.equal(changes(), 3, 'a settlement after the release is no change');
    await settle(b, 'ack');
    assert.equal(consumer.running, 0, 'a settled delivery leaves the count even if its handler never released it');
    assert.equal(changes(), 4);
    await consumer.close();
  });

  it('does not count a delivery whose handler holds no job (an unreadable message, a copy following a run)', async () => {
    const answer = deferred<Settlement>();
    let handled = 0;
    const { connection, consumer } = setup({
      handler: () => {
        handled++;
        return answer.promise;
      },
    });
    consumer.start();
    await consumer.ready;
    connection.channel.deliver('a');
    await flush();
    assert.equal(handled, 1);
    assert.equal(consumer.running, 0);
    answer.resolve('ack');
    await consumer.close();
  });

  it('finds the claim of an occurrence until its delivery is settled; a copy waiting on it resumes after the claim is gone', async () => {
    const { connection, consumer, flights, settle } = setup();
    consumer.start();
    await consumer.ready;
    const ch = connection.channel;
    const a = ch.deliver('a');
    await flush();
    assert.equal(consumer.occurrence('occ-1'), undefined);
    flights.get(a)!.claim('occ-1', 2);
    const claim = consumer.occurrence('occ-1');
    assert.equal(claim?.retryCount, 2);
    assert.equal(consumer.occurrence('occ-2'), undefined);
    const seenAfter: unknown[] = [];
    void claim!.settlement.then((settlement) => seenAfter.push(settlement, consumer.occurrence('occ-1'), [...ch.nacks]));
    await settle(a, 'requeue');
    assert.deepEqual(seenAfter, ['requeue', undefined, [{ deliveryTag: a.deliveryTag, requeue: true }]], 'the settlement resolves once the delivery is settled and unclaimed');
    await consumer.close();
  });

  it('warns once per job held past 80 % of the consumer timeout, checking every tenth of it, until close', async (t) => {
    t.mock.timers.enable({ apis: ['setInterval', 'Date'] });
    const { connection, consumer, logger, handled, settle } = setup({ consumerTimeoutMs: 100_000 });
    consumer.start();
    await consumer.ready;
    const ch = connection.channel;
    const a = ch.deliver('a');
    await flush();
    assert.equal(handled.length, 1);
    const warnings = () => logger.messages('warn').filter((m) => m.includes('has held its delivery'));
    t.mock.timers.tick(80_000);
    assert.equal(warnings().length, 0, 'not at 80 % exactly');
    t.mock.timers.tick(9_999);
    assert.equal(warnings().length, 0, 'checked every 10 s');
    t.mock.timers.tick(1);
    assert.deepEqual(warnings(), [
      "Job a has held its delivery for 2 min; RabbitMQ's consumer_timeout (2 min) will close the channel and redeliver it",
    ]);
    const b = ch.deliver('b');
    await flush();
    t.mock.timers.tick(60_000);
    assert.equal(warnings().length, 1, 'warned once per delivery, and b is not yet due');
    t.mock.timers.tick(30_000);
    assert.equal(warnings().length, 2);
    assert.match(warnings()[1]!, /^Job b has held its delivery for 2 min/);
    const c = ch.deliver('c'); // buffered behind a and b (concurrency 2): not held, not watched
    await flush();
    const closing = consumer.close();
    await flush();
    assert.deepEqual(ch.nacks, [{ deliveryTag: c.deliveryTag, requeue: true }], 'the buffered delivery goes back at close');
    t.mock.timers.tick(1_000_000);
    assert.equal(warnings().length, 2, 'the watchdog stops at close');
    await settle(a, 'ack');
    await settle(b, 'ack');
    await closing;
  });

  it('checks at most every minute when the consumer timeout is long', async (t) => {
    t.mock.timers.enable({ apis: ['setInterval', 'Date'] });
    const { connection, consumer, logger } = setup({ consumerTimeoutMs: 3_600_000 });
    consumer.start();
    await consumer.ready;
    connection.channel.deliver('a');
    await flush();
    const warnings = () => logger.messages('warn').filter((m) => m.includes('has held its delivery'));
    t.mock.timers.tick(2_880_000); // 80 % of an hour: the check at 48 min is not past it
    assert.equal(warnings().length, 0);
    t.mock.timers.tick(60_000);
    assert.deepEqual(warnings(), ["Job a has held its delivery for 49 min; RabbitMQ's consumer_timeout (60 min) will close the channel and redeliver it"]);
  });

  it('when the channel closes: running handlers go on, their acks are skipped (one warning), buffered deliveries are forgotten, and it consumes on a new channel', async () => {
    const { connection, consumer, handled, settle, logger } = setup({ concurrency: 2 });
    consumer.start();
    await consumer.ready;
    const old = connection.channel;
    const [a, b] = [old.deliver('a'), old.deliver('b')];
    old.deliver('c'); // buffered: both slots are taken
    await flush();
    old.drop();
    assert.equal(consumer.subscribed, false);
    await consumer.ready;
    assert.equal(connection.channels.length, 2, 'a new channel was acquired');
    const fresh = connection.channel;
    assert.deepEqual(fresh.methods(), ['queueDeclare', 'exchangeDeclare', 'queueBind', 'basicQos', 'basicConsume']);
    assert.equal(consumer.subscribed, true);
    assert.equal(consumer.running, 2, 'the jobs of the lost channel still run');
    // Deliveries on the new channel wait for a slot, like any other.
    const d = fresh.deliver('d');
    await flush();
    assert.deepEqual(handled.map((m) => m.body), ['a', 'b']);
    await settle(a, 'ack');
    await settle(b, 'ack');
    assert.equal(old.calls.filter((c) => c.method === 'basicAck' || c.method === 'basicNack').length, 0, 'nothing is settled on a dead channel');
    assert.equal(logger.messages('warn').filter((m) => m.includes('closed before some deliveries were settled')).length, 1);
    assert.deepEqual(handled.map((m) => m.body), ['a', 'b', 'd'], 'the buffered delivery of the dead channel never runs');
    await settle(d, 'ack');
    assert.deepEqual(fresh.acks, [d.deliveryTag]);
    await consumer.close();
  });

  it('tells a handler that its delivery is lost once the channel that delivered it closes, not before', async () => {
    const { connection, consumer, flights, settle } = setup({ concurrency: 2 });
    consumer.start();
    await consumer.ready;
    const old = connection.channel;
    const a = old.deliver('a');
    await flush();
    const lost = flights.get(a)!.lost;
    assert.equal(lost.aborted, false);
    old.drop();
    await consumer.ready;
    assert.equal(lost.aborted, true, 'aborted when its channel went');
    const b = connection.channel.deliver('b');
    await flush();
    assert.equal(flights.get(b)!.lost.aborted, false, 'a delivery of the new channel is not lost');
    await settle(a, 'ack');
    await settle(b, 'ack');
    await consumer.close();
  });

  it('keeps trying to subscribe while the connection is down, backing off 400, 800 ms…, warning once and saying when it consumes again', async (t) => {
    t.mock.timers.enable({ apis: ['setTimeout'] });
    const { connection, consumer, logger } = setup();
    connection.failAcquire = 2;
    consumer.start();
    const acquires = () => connection.calls.filter((c) => c.method === 'acquire').length;
    await until(() => logger.messages('warn').length === 1, 'the first warning');
    assert.equal(acquires(), 1);
    assert.match(logger.messages('warn')[0]!, new RegExp(`Cannot consume ${QUEUE.replaceAll('.', '\\.')} yet: connection lost`));
    t.mock.timers.tick(399);
    await flush();
    assert.equal(acquires(), 1, 'the first retry waits 400 ms');
    t.mock.timers.tick(1);
    await until(() => acquires() === 2, 'the second attempt');
    await flush();
    t.mock.timers.tick(799);
    await flush();
    assert.equal(acquires(), 2, 'the second retry waits 800 ms');
    t.mock.timers.tick(1);
    await consumer.ready;
    assert.equal(acquires(), 3);
    assert.equal(consumer.subscribed, true);
    assert.equal(logger.messages('warn').length, 1, 'one warning per outage, not one per attempt');
    assert.deepEqual(logger.messages('info'), [`Consuming ${QUEUE} again`]);
  });

  it('logs errors the channel emits', async () => {
    const { connection, consumer, logger } = setup();
    consumer.start();
    await consumer.ready;
    connection.channel.emit('error', new Error('PRECONDITION_FAILED - unknown delivery tag'));
    assert.deepEqual(logger.messages('warn'), [`Channel of ${QUEUE}: PRECONDITION_FAILED - unknown delivery tag`]);
    await consumer.close();
  });

  it('logs an ack that throws and keeps consuming', async () => {
    const { connection, consumer, settle, logger, handled } = setup();
    consumer.start();
    await consumer.ready;
    const ch = connection.channel;
    ch.failSettle = true;
    const a = ch.deliver('a');
    await flush();
    await settle(a, 'ack');
    assert.equal(logger.messages('warn').filter((m) => m.startsWith('Could not ack a message')).length, 1);
    ch.failSettle = false;
    const b = ch.deliver('b');
    await flush();
    await settle(b, 'ack');
    assert.deepEqual(handled.map((m) => m.body), ['a', 'b']);
    // b's ack is a multiple-ack (a was handled too), so the broker settles a with it.
    assert.deepEqual(ch.acks, [a.deliveryTag, b.deliveryTag]);
    assert.deepEqual(ch.calls.filter((c) => c.method === 'basicAck').at(-1)?.args, [{ deliveryTag: b.deliveryTag, multiple: true }]);
    await consumer.close();
  });

  it('logs a requeue or a reject that throws with its verb (a reject is a "drop" there)', async () => {
    const { connection, consumer, settle, logger } = setup();
    consumer.start();
    await consumer.ready;
    const ch = connection.channel;
    const [a, b] = [ch.deliver('a'), ch.deliver('b')];
    await flush();
    ch.failSettle = true;
    await settle(a, 'reject');
    await settle(b, 'requeue');
    assert.deepEqual(
      logger.messages('warn').map((m) => m.split(';')[0]),
      [`Could not drop a message of ${QUEUE}`, `Could not requeue a message of ${QUEUE}`],
    );
    ch.failSettle = false;
    await consumer.close();
  });

  it('pause cancels the subscription and requeues buffered deliveries while running ones finish; resume consumes again on the same channel', async () => {
    const { connection, consumer, handled, settle } = setup({ concurrency: 1 });
    consumer.start();
    await consumer.ready;
    const ch = connection.channel;
    const tag = [...ch.consumers.keys()][0];
    const a = ch.deliver('a');
    const b = ch.deliver('b');
    await flush();
    await consumer.pause();
    assert.deepEqual(ch.calls.find((c) => c.method === 'basicCancel')?.args, [tag]);
    assert.deepEqual(ch.nacks, [{ deliveryTag: b.deliveryTag, requeue: true }], 'the buffered delivery goes back to the queue');
    assert.equal(consumer.subscribed, false);
    await settle(a, 'ack');
    assert.deepEqual(ch.acks, [a.deliveryTag], 'the running delivery is still acked');
    assert.deepEqual(handled.map((m) => m.body), ['a']);
    consumer.resume();
    await until(() => consumer.subscribed, 'the resumed subscription');
    assert.equal(connection.channels.length, 1, 'the same channel is used');
    assert.equal(ch.calls.filter((c) => c.method === 'basicConsume').length, 2);
    const c = ch.deliver('c');
    await flush();
    await settle(c, 'ack');
    assert.deepEqual(ch.acks, [a.deliveryTag, c.deliveryTag]);
    await consumer.close();
  });

  it('stays unsubscribed when the channel closes while paused, and subscribes on a new channel at resume', async () => {
    const { connection, consumer } = setup();
    consumer.start();
    await consumer.ready;
    await consumer.pause();
    connection.channel.drop();
    await flush();
    assert.equal(connection.channels.length, 1, 'no re-subscription while paused');
    consumer.resume();
    await until(() => consumer.subscribed, 'the new subscription');
    assert.equal(connection.channels.length, 2);
    assert.ok(connection.channel.methods().includes('basicConsume'));
    await consumer.close();
  });

  it('logs a refused resume; when the broker then closes that channel, it consumes on a new one', async () => {
    const { connection, consumer, logger } = setup();
    consumer.start();
    await consumer.ready;
    await consumer.pause();
    connection.channel.failConsume = true;
    consumer.resume();
    await until(() => logger.messages('warn').some((m) => m.startsWith(`Resuming ${QUEUE} failed`)), 'the warning');
    assert.equal(consumer.subscribed, false);
    // A refused basic.consume closes the channel on a real broker.
    connection.channel.drop();
    await until(() => consumer.subscribed, 'the new subscription');
    assert.equal(connection.channels.length, 2);
    await consumer.close();
  });

  it('close cancels, requeues buffered deliveries, waits for running handlers, then closes the channel without re-subscribing', async () => {
    const { connection, consumer, settle } = setup({ concurrency: 1 });
    consumer.start();
    await consumer.ready;
    const ch = connection.channel;
    const a = ch.deliver('a');
    const b = ch.deliver('b');
    await flush();
    const closed = track(consumer.close());
    await flush();
    assert.equal(closed.settled, false, 'close waits for the running handler');
    assert.deepEqual(ch.methods().slice(-2), ['basicCancel', 'basicNack']);
    assert.deepEqual(ch.nacks, [{ deliveryTag: b.deliveryTag, requeue: true }]);
    assert.equal(ch.active, true);
    await settle(a, 'ack');
    await closed.promise;
    assert.deepEqual(ch.methods().slice(-2), ['basicAck', 'close'], 'the last ack goes out before the channel closes');
    assert.equal(ch.active, false);
    await flush();
    assert.equal(connection.channels.length, 1, 'closing does not re-subscribe');
    assert.equal(consumer.subscribed, false);
  });

  it('a close while it is still subscribing closes the fresh channel instead of consuming', async () => {
    const { connection, consumer } = setup();
    consumer.start();
    await consumer.close();
    await until(() => connection.channels.length === 1 && !connection.channel.active, 'the channel to close');
    assert.equal(connection.channel.methods().includes('basicConsume'), false);
    assert.equal(connection.channel.methods().at(-1), 'close');
  });
});
