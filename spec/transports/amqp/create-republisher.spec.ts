// Unit specs of createRepublisher() with a fake publisher and publish connection: raw dead letters with a
// reason, retry copies through declared delay queues, and occurrence dead letters after their log notice.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { AsyncMessage } from 'rabbitmq-client';
import { JobStatus } from '../../../lib/index.ts';
import type { SinkRecord } from '../../../lib/core/vocabulary/ports.ts';
import { type Sink } from '../../../lib/core/vocabulary/ports.ts';
import { createMemorySink } from '../../../lib/transports/memory/create-memory-sink.ts';
import { LogCategory } from '../../../lib/core/engine/create-job-logger.ts';
import { MilvaionNames } from '../../../lib/amqp.ts';
import { int32 } from '../../../lib/transports/amqp/int32-headers.ts';
import { toRetryQueueName } from '../../../lib/transports/amqp/milvaion-names.ts';
import { createRepublisher } from '../../../lib/transports/amqp/create-republisher.ts';
import type { QueueType } from '../../../lib/transports/amqp/create-amqp-publisher.ts';
import { deferred, FakeConnection, fakePublisher, flush } from '../../support/fake-amqp.ts';
import { makeEnvelope } from '../../support/envelopes.ts';
import { captureLogger } from '../../support/loggers.ts';

const JOB_QUEUE = 'scheduled_jobs_queue.spec.echo.wildcard';

function setup(options: { sink?: Sink; queueType?: QueueType } = {}) {
  const publisher = fakePublisher();
  const publishConnection = new FakeConnection();
  const sink = createMemorySink();
  const logger = captureLogger();
  const republisher = createRepublisher({
    publisher,
    publishConnection: publishConnection.asConnection(),
    sink: options.sink ?? sink,
    logger,
    queueType: options.queueType ?? 'Classic',
  });
  return { publisher, publishConnection, sink, logger, ...republisher };
}

function delivery(fields: Partial<AsyncMessage>): AsyncMessage {
  return { body: undefined, consumerTag: 'ctag', deliveryTag: 1, exchange: 'jobs.topic', redelivered: false, routingKey: 'spec.echo.job', ...fields } as AsyncMessage;
}

const retryEnvelope = () =>
  makeEnvelope('EchoJob', {
    body: { id: 'x', jobNameInWorker: 'EchoJob', jobData: '{"a":1}' },
    headers: { JobType: 'EchoJob', 'x-death': [{ count: 1 }], 'x-first-death-queue': 'q', 'x-last-death-reason': 'expired', 'x-retry-count': int32(0) },
  });

describe('createRepublisher: deadLetterRaw', () => {
  it('publishes the bytes as received to the dead-letter exchange with the reason in a header, keeping the original headers, then acks', async () => {
    const { publisher, logger, deadLetterRaw } = setup();
    const body = Buffer.from('{not json');
    const disposition = await deadLetterRaw(
      delivery({ body, correlationId: 'corr-1', contentType: 'text/plain', headers: { JobType: 'EchoJob' } }),
      'Invalid job message: the body is not JSON',
    );
    assert.equal(disposition, 'ack');
    assert.equal(publisher.published.length, 1);
    const [{ envelope, body: sent }] = publisher.published as [(typeof publisher.published)[number]];
    assert.equal(sent, body);
    assert.deepEqual(envelope, {
      exchange: MilvaionNames.deadLetterExchange,
      routingKey: MilvaionNames.deadLetterRoutingKey,
      durable: true,
      correlationId: 'corr-1',
      contentType: 'text/plain',
      headers: { JobType: 'EchoJob', 'x-dead-letter-reason': 'Invalid job message: the body is not JSON' },
    });
    assert.match(logger.messages('warn')[0]!, /^Dead-lettering a message from spec\.echo\.job: Invalid job message/);
  });

  it('encodes a text body as UTF-8 and a parsed body as JSON; leaves out properties the delivery lacked', async () => {
    const { publisher, deadLetterRaw } = setup();
    await deadLetterRaw(delivery({ body: 'héllo' }), 'r1');
    await deadLetterRaw(delivery({ body: { jobNameInWorker: 'EchoJob' } }), 'r2');
    await deadLetterRaw(delivery({ body: undefined }), 'r3');
    assert.deepEqual(
      publisher.published.map((p) => p.body.toString('utf8')),
      ['héllo', '{"jobNameInWorker":"EchoJob"}', 'null'],
    );
    const first = publisher.published[0]!.envelope;
    assert.equal('correlationId' in first, false);
    assert.equal('contentType' in first, false);
    assert.deepEqual(first.headers, { 'x-dead-letter-reason': 'r1' });
  });

  it('cuts the reason to 4,000 characters', async () => {
    const { publisher, deadLetterRaw } = setup();
    await deadLetterRaw(delivery({ body: Buffer.from('x') }), 'r'.repeat(10_000));
    assert.equal((publisher.published[0]!.envelope.headers!['x-dead-letter-reason'] as string).length, 4000);
  });

  it('rejects the delivery (the broker dead-letters it without a reason) when the publish fails', async () => {
    const { publisher, logger, deadLetterRaw } = setup();
    publisher.fail = () => true;
    assert.equal(await deadLetterRaw(delivery({ body: Buffer.from('x') }), 'bad'), 'reject');
    assert.match(logger.messages('error')[0]!, /Publishing to the dead-letter exchange failed/);
  });
});

describe('createRepublisher: retryLater', () => {
  it('declares the delay queue (TTL, dead-letters back to the job queue, expiry), publishes the copy with its counters, then acks', async () => {
    const { publisher, publishConnection, retryLater } = setup();
    const envelope = retryEnvelope();
    const disposition = await retryLater(JOB_QUEUE, 3, envelope, { kind: 'retry', delayMs: 5000, retryCount: 1 });
    assert.equal(disposition, 'ack');
    const delayQueue = toRetryQueueName(JOB_QUEUE, 5000);
    assert.deepEqual(publishConnection.calls, [
      {
        method: 'queueDeclare',
        args: [
          {
            queue: delayQueue,
            durable: true,
            arguments: { 'x-message-ttl': 5000, 'x-dead-letter-exchange': '', 'x-dead-letter-routing-key': JOB_QUEUE, 'x-expires': 605_000 },
          },
        ],
      },
    ]);
    assert.equal(publisher.published.length, 1);
    const { envelope: sent, body } = publisher.published[0]!;
    assert.equal(sent.exchange, '');
    assert.equal(sent.routingKey, delayQueue);
    assert.equal(sent.durable, true);
    assert.equal(sent.correlationId, envelope.correlationId);
    assert.equal(sent.contentType, 'application/json');
    assert.deepEqual(sent.headers, {
      JobType: 'EchoJob',
      CorrelationId: envelope.correlationId,
      'x-retry-count': int32(1),
      MaxRetries: int32(3),
    }, "the broker's x-death bookkeeping is not copied");
    assert.deepEqual(JSON.parse(body.toString('utf8')), envelope.body);
  });

  it('makes the delay queue of a quorum setup a quorum queue that dead-letters at least once, under a name of its own', async () => {
    const { publishConnection, publisher, retryLater } = setup({ queueType: 'Quorum' });
    await retryLater(JOB_QUEUE, 3, retryEnvelope(), { kind: 'retry', delayMs: 100, retryCount: 1 });
    const declared = publishConnection.calls[0]!.args[0] as { queue: string; arguments: Record<string, unknown> };
    assert.equal(declared.queue, `milvaion-worker.retry-delay.${JOB_QUEUE}.100ms.at-least-once`);
    assert.equal(declared.arguments['x-queue-type'], 'quorum');
    // At most once (the default) lost a retry whose leader node stopped while it expired (soak:cluster).
    assert.equal(declared.arguments['x-dead-letter-strategy'], 'at-least-once');
    assert.equal(declared.arguments['x-overflow'], 'reject-publish');
    assert.equal(publisher.published[0]!.envelope.routingKey, declared.queue);
    const classic = setup();
    await classic.retryLater(JOB_QUEUE, 3, retryEnvelope(), { kind: 'retry', delayMs: 100, retryCount: 1 });
    const plain = classic.publishConnection.calls[0]!.args[0] as { queue: string; arguments: Record<string, unknown> };
    assert.equal(plain.queue, `milvaion-worker.retry-delay.${JOB_QUEUE}.100ms`);
    assert.equal(plain.arguments['x-dead-letter-strategy'], undefined);
  });

  it('declares each delay queue once, and again after the publish connection reconnects', async () => {
    const { publishConnection, publisher, retryLater } = setup();
    const declares = () => publishConnection.calls.filter((c) => c.method === 'queueDeclare').map((c) => (c.args[0] as { queue: string }).queue);
    await retryLater(JOB_QUEUE, 3, retryEnvelope(), { kind: 'retry', delayMs: 1000, retryCount: 1 });
    await retryLater(JOB_QUEUE, 3, retryEnvelope(), { kind: 'retry', delayMs: 1000, retryCount: 1 });
    await retryLater(JOB_QUEUE, 3, retryEnvelope(), { kind: 'retry', delayMs: 2000, retryCount: 2 });
    assert.deepEqual(declares(), [toRetryQueueName(JOB_QUEUE, 1000), toRetryQueueName(JOB_QUEUE, 2000)]);
    // A broker restart may have expired or lost the queue: declare again after a reconnect.
    publishConnection.emit('connection');
    await retryLater(JOB_QUEUE, 3, retryEnvelope(), { kind: 'retry', delayMs: 1000, retryCount: 1 });
    assert.deepEqual(declares(), [toRetryQueueName(JOB_QUEUE, 1000), toRetryQueueName(JOB_QUEUE, 2000), toRetryQueueName(JOB_QUEUE, 1000)]);
    assert.equal(publisher.published.length, 4);
  });

  it('requeues the original, publishing nothing, when the delay queue cannot be declared', async () => {
    const { publishConnection, publisher, logger, retryLater } = setup();
    publishConnection.failQueueDeclare = true;
    const envelope = retryEnvelope();
    assert.equal(await retryLater(JOB_QUEUE, 3, envelope, { kind: 'retry', delayMs: 1000, retryCount: 2 }), 'requeue');
    assert.equal(publisher.published.length, 0);
    assert.equal(logger.messages('error')[0], `Scheduling retry 2 of EchoJob ${envelope.occurrenceId} failed; requeueing`);
    // Not remembered as declared: the next attempt declares again.
    publishConnection.failQueueDeclare = false;
    assert.equal(await retryLater(JOB_QUEUE, 3, envelope, { kind: 'retry', delayMs: 1000, retryCount: 2 }), 'ack');
    assert.equal(publishConnection.calls.length, 2);
  });

  it('requeues the original when the copy is not confirmed', async () => {
    const { publisher, retryLater } = setup();
    publisher.fail = () => true;
    assert.equal(await retryLater(JOB_QUEUE, 3, retryEnvelope(), { kind: 'retry', delayMs: 1000, retryCount: 1 }), 'requeue');
  });
});

describe('createRepublisher: deadLetterJob', () => {
  const action = { kind: 'dead-letter', reason: 'permanent-failure', exception: '[PERMANENT FAILURE] Type: Error', retryCountHeader: 2, maxRetriesHeader: 0, failureType: 'PermanentFailure' } as const;

  it('writes the Retry log notice to the sink, then publishes the DlqJobMessage to the dead-letter exchange, then acks', async () => {
    const { publisher, sink, deadLetterJob } = setup();
    const envelope = makeEnvelope('EchoJob', { jobData: '{"a":1}', displayName: 'Echo it', executeAt: '2024-01-01T00:00:00Z', headers: { JobType: 'EchoJob' } });
    assert.equal(await deadLetterJob(envelope, action), 'ack');
    const [log] = sink.logs(envelope.occurrenceId);
    assert.ok(log);
    assert.equal(log.level, 'Error');
    assert.equal(log.category, LogCategory.Retry);
    assert.equal(log.message, 'Job moved to the dead-letter queue: PermanentFailure');
    assert.deepEqual(log.data, { TotalRetries: 2, FailureType: 'PermanentFailure', FinalStatus: 'MovedToDLQ' });
    assert.equal(publisher.published.length, 1);
    const { envelope: sent, body } = publisher.published[0]!;
    assert.equal(sent.exchange, MilvaionNames.deadLetterExchange);
    assert.equal(sent.routingKey, MilvaionNames.deadLetterRoutingKey);
    assert.equal(sent.durable, true);
    assert.equal(sent.correlationId, envelope.correlationId);
    assert.deepEqual(sent.headers, { JobType: 'EchoJob', CorrelationId: envelope.correlationId, 'x-retry-count': int32(2), MaxRetries: int32(0) });
    assert.deepEqual(JSON.parse(body.toString('utf8')), {
      Id: envelope.jobId,
      DisplayName: 'Echo it',
      JobNameInWorker: 'EchoJob',
      JobData: '{"a":1}',
      ExecuteAt: '2024-01-01T00:00:00Z',
      Status: JobStatus.Failed,
      Exception: action.exception,
    });
  });

  it('publishes only after the sink accepted the notice', async () => {
    const gate = deferred<void>();
    const written: SinkRecord[] = [];
    const { publisher, deadLetterJob } = setup({ sink: { write: (r) => (written.push(r), gate.promise) } });
    const result = deadLetterJob(makeEnvelope('EchoJob'), action);
    await flush();
    assert.equal(written.length, 1);
    assert.equal(publisher.published.length, 0, 'the DLQ message waits for the notice');
    gate.resolve();
    assert.equal(await result, 'ack');
    assert.equal(publisher.published.length, 1);
  });

  it('rejects without publishing when the sink rejects the notice', async () => {
    const { publisher, deadLetterJob } = setup({ sink: { write: () => Promise.reject(new Error('outbox full')) } });
    await assert.rejects(deadLetterJob(makeEnvelope('EchoJob'), action), /outbox full/);
    assert.equal(publisher.published.length, 0);
  });

  it('rejects the delivery when the DLQ message is not confirmed', async () => {
    const { publisher, logger, deadLetterJob } = setup();
    publisher.fail = () => true;
    const envelope = makeEnvelope('EchoJob');
    assert.equal(await deadLetterJob(envelope, action), 'reject');
    assert.equal(logger.messages('error')[0], `Publishing the DLQ message of ${envelope.occurrenceId} failed; rejecting the delivery instead`);
  });
});
