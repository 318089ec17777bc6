// Unit specs of createAmqpSource() over fake connections, a fake publisher and a scripted executor: bad and
// oversized messages dead-lettered with a reason, finished and redelivered occurrences, outcome → action.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { err, ok } from 'neverthrow';
import { defineJob, JobAbortError, PermanentJobError } from '../../../lib/index.ts';
import { createFinishedOccurrences } from '../../../lib/core/engine/create-finished-occurrences.ts';
import { createRedeliveryCounts } from '../../../lib/core/engine/create-redelivery-counts.ts';
import type { AttemptState, RedeliveryRecords, SharedOccurrences } from '../../../lib/core/vocabulary/ports.ts';
import { createMemorySink } from '../../../lib/transports/memory/create-memory-sink.ts';
import { LogCategory } from '../../../lib/core/engine/create-job-logger.ts';
import { resolveSettings } from '../../../lib/core/engine/resolve-settings.ts';
import type { JobEnvelope, NotCompleted, Outcome } from '../../../lib/index.ts';
import type { Executor } from '../../../lib/core/engine/create-executor.ts';
import { jobQueueArguments, MilvaionNames, toJobQueueName, toRoutingPattern } from '../../../lib/amqp.ts';
import { int32 } from '../../../lib/transports/amqp/int32-headers.ts';
import { toRetryQueueName } from '../../../lib/transports/amqp/milvaion-names.ts';
import { createAmqpSource, type AmqpSourceOptions, type ConsumedJob } from '../../../lib/transports/amqp/create-amqp-source.ts';
import { toDispatchEnvelope, toDispatchMessage, type DispatchOptions } from '../../../lib/scheduler-client/to-dispatch-message.ts';
import { deferred, FakeConnection, fakePublisher, flush, until, type Deferred, type FakeChannel } from '../../support/fake-amqp.ts';
import { captureLogger } from '../../support/loggers.ts';
import { eventually } from '../../support/eventually.ts';

const WORKER = 'spec-source';

function consumedJob(name: string, defaults: { maxParallelJobs?: number; maxRetries?: number } = {}): ConsumedJob {
  const definition = defineJob({ name, ...defaults, run: () => undefined });
  const routingPattern = toRoutingPattern(WORKER, name);
  return { definition, settings: resolveSettings(definition), routingPattern, queue: toJobQueueName(routingPattern) };
}

/** An executor whose every execution waits until the test gives its outcome. */
function scriptedExecutor() {
  const calls: JobEnvelope[] = [];
  const outcomes = new Map<string, Deferred<Outcome>>();
  const executor: Executor = {
    execute(envelope) {
      calls.push(envelope);
      const d = deferred<Outcome>();
      outcomes.set(envelope.occurrenceId, d);
      return d.promise;
    },
    definition: () => undefined,
    settings: () => resolveSettings(undefined),
    running: 0,
    settled: () => Promise.resolve(true),
  };
  /** Ends the execution of an occurrence with an outcome (or makes it throw, as a rejecting sink does). */
  const finish = (occurrenceId: string, outcome: Outcome | Error) => {
    const d = outcomes.get(occurrenceId);
    assert.ok(d, `${occurrenceId} is not executing`);
    if (outcome instanceof Error) d.reject(outcome);
    else d.resolve(outcome);
  };
  return { executor, calls, finish };
}

const failed = (e: NotCompleted): Outcome => err(e);

function setup(overrides: Partial<AmqpSourceOptions> = {}, jobs = [consumedJob('EchoJob', { maxParallelJobs: 4, maxRetries: 3 })]) {
  const connection = new FakeConnection();
  const publishConnection = new FakeConnection();
  const publisher = fakePublisher();
  const sink = createMemorySink();
  const finished = createFinishedOccurrences();
  const logger = captureLogger();
  const { executor, calls, finish } = scriptedExecutor();
  let jobsChanged = 0;
  const source = createAmqpSource({
    connection: connection.asConnection(),
    publishConnection: publishConnection.asConnection(),
    executor,
    jobs,
    publisher,
    sink,
    finished,
    redeliveries: { records: createRedeliveryCounts(), maxCrashRedeliveries: 3 },
    logger,
    onJobsChanged: () => void jobsChanged++,
    ...overrides,
  });
  return { connection, publishConnection, publisher, sink, finished, logger, source, calls, finish, jobs, changes: () => jobsChanged };
}

/** Delivers a scheduler job message on a channel, as rabbitmq-client would hand it over. */
function dispatch(ch: FakeChannel, job: Partial<DispatchOptions> = {}, fields: { redelivered?: boolean } = {}) {
  const message = toDispatchMessage({ jobName: 'EchoJob', workerId: WORKER, ...job });
  const { body } = toDispatchEnvelope(message);
  const delivery = ch.deliver(body, { headers: message.headers, correlationId: message.occurrenceId, contentType: 'application/json', redelivered: fields.redelivered ?? false });
  return { ...message, delivery };
}

async function started(overrides: Partial<AmqpSourceOptions> = {}) {
  const s = setup(overrides);
  s.source.start();
  await s.source.ready();
  return { ...s, ch: s.connection.channel };
}

const settled = (ch: FakeChannel) => ch.acks.length + ch.nacks.length;

describe('createAmqpSource', () => {
  it('consumes every job queue on its own channel: dead-letter arguments, bound to its routing pattern, prefetch = MaxParallelJobs', async () => {
    const jobs = [consumedJob('EchoJob', { maxParallelJobs: 3 }), consumedJob('ReportJob', { maxParallelJobs: 5 })];
    const { connection, source } = setup({}, jobs);
    assert.equal(source.consuming, false);
    source.start();
    await source.ready();
    assert.equal(source.consuming, true);
    assert.equal(connection.channels.length, 2);
    jobs.forEach((job, i) => {
      const ch = connection.channels[i]!;
      const call = (method: string) => ch.calls.find((c) => c.method === method)?.args[0];
      assert.deepEqual(call('queueDeclare'), { queue: job.queue, durable: true, exclusive: false, autoDelete: false, arguments: jobQueueArguments('Classic') });
      assert.deepEqual(call('exchangeDeclare'), { exchange: MilvaionNames.jobsExchange, type: 'topic', durable: true });
      assert.deepEqual(call('queueBind'), { queue: job.queue, exchange: MilvaionNames.jobsExchange, routingKey: job.routingPattern });
      assert.deepEqual(call('basicQos'), { prefetchCount: job.settings.maxParallelJobs });
    });
    await source.close();
  });

  it('dead-letters a body that is not JSON with the reason, as received, and acks it without running anything', async () => {
    const { ch, publisher, calls, source } = await started();
    const body = Buffer.from('{"id": oops');
    const m = ch.deliver(body, { correlationId: 'c', headers: { JobType: 'EchoJob' } });
    await until(() => settled(ch) === 1, 'the ack');
    assert.deepEqual(ch.acks, [m.deliveryTag]);
    assert.equal(calls.length, 0);
    assert.equal(publisher.published.length, 1);
    const { envelope, body: sent } = publisher.published[0]!;
    assert.equal(envelope.exchange, MilvaionNames.deadLetterExchange);
    assert.equal(sent.toString(), '{"id": oops');
    assert.match(String(envelope.headers!['x-dead-letter-reason']), /^Invalid job message: the body is not JSON/);
    assert.equal(envelope.headers!['JobType'], 'EchoJob');
    await source.close();
  });

  it('dead-letters a message without an occurrence id, naming what is missing', async () => {
    const { ch, publisher, calls, source } = await started();
    const message = toDispatchMessage({ jobName: 'EchoJob', workerId: WORKER, headers: { CorrelationId: undefined } });
    ch.deliver(Buffer.from(JSON.stringify(message.body)), { headers: message.headers });
    await until(() => settled(ch) === 1, 'the ack');
    assert.equal(ch.acks.length, 1);
    assert.equal(calls.length, 0);
    assert.match(String(publisher.published[0]!.envelope.headers!['x-dead-letter-reason']), /occurrence id: no UUID/);
    await source.close();
  });

  it('dead-letters an oversized message unread, with its size and the limit in the reason', async () => {
    const { ch, publisher, calls, source } = await started({ maxMessageBytes: 100 });
    dispatch(ch, { rawJobData: 'x'.repeat(200) });
    // A body the client already parsed as JSON is measured by its jobData.
    ch.deliver({ id: 'not-even-checked', jobData: 'y'.repeat(101) });
    await until(() => settled(ch) === 2, 'both acks');
    assert.equal(ch.acks.length, 2);
    assert.equal(calls.length, 0, 'neither message ran');
    const reasons = publisher.published.map((p) => String(p.envelope.headers!['x-dead-letter-reason']));
    assert.match(reasons[0]!, /^Invalid job message: \d+ bytes, above the limit of 100 \(MaxMessageBytes\)$/);
    assert.equal(reasons[1], 'Invalid job message: 101 bytes, above the limit of 100 (MaxMessageBytes)');
    await source.close();
  });

  it('rejects an unreadable message when its dead letter is not confirmed', async () => {
    const { ch, publisher, source } = await started();
    publisher.fail = () => true;
    const m = ch.deliver(Buffer.from('nope'));
    await until(() => settled(ch) === 1, 'the nack');
    assert.deepEqual(ch.nacks, [{ deliveryTag: m.deliveryTag, requeue: false }]);
    await source.close();
  });

  it('acks a completed occurrence and remembers it finished; a later redelivery is acked without running', async () => {
    const { ch, calls, finish, finished, logger, source, changes } = await started();
    const first = dispatch(ch, { data: { text: 'hi' } });
    await until(() => calls.length === 1, 'the execution');
    assert.equal(calls[0]!.occurrenceId, first.occurrenceId);
    assert.equal(calls[0]!.jobData, '{"text":"hi"}');
    assert.equal(source.inFlight, 1);
    assert.equal(changes(), 1, 'onJobsChanged at start');
    finish(first.occurrenceId, ok({ kind: 'completed', result: 'done' }));
    await until(() => settled(ch) === 1, 'the ack');
    assert.deepEqual(ch.acks, [first.delivery.deliveryTag]);
    assert.equal(source.inFlight, 0);
    assert.equal(changes(), 2, 'onJobsChanged at the end');
    assert.equal(finished.has(first.occurrenceId), true);
    const again = dispatch(ch, { occurrenceId: first.occurrenceId, jobId: first.jobId }, { redelivered: true });
    await until(() => settled(ch) === 2, 'the second ack');
    assert.deepEqual(ch.acks, [first.delivery.deliveryTag, again.delivery.deliveryTag]);
    assert.equal(calls.length, 1, 'the finished occurrence did not run again');
    assert.ok(logger.messages('info').some((m) => m.includes('already finished on this worker')));
    await source.close();
  });

  it('lets a copy redelivered while its occurrence still runs here follow that run instead of running twice', async () => {
    const { ch, calls, finish, logger, source } = await started();
    const first = dispatch(ch);
    await until(() => calls.length === 1, 'the execution');
    const copy = dispatch(ch, { occurrenceId: first.occurrenceId, jobId: first.jobId }, { redelivered: true });
    await until(() => logger.messages('warn').some((m) => m.includes('was redelivered while it still runs here')), 'the warning');
    assert.equal(calls.length, 1);
    assert.equal(settled(ch), 0, 'the copy waits for the run');
    finish(first.occurrenceId, failed({ kind: 'cancelled', reason: 'stopping', source: 'shutdown' }));
    await until(() => settled(ch) === 2, 'both settled');
    assert.deepEqual(ch.nacks, [
      { deliveryTag: first.delivery.deliveryTag, requeue: true },
      { deliveryTag: copy.delivery.deliveryTag, requeue: true },
    ], 'both copies get the running one’s disposition');
    await source.close();
  });

  it('acks user cancels, timeouts and skips, and counts them finished', async () => {
    const { ch, calls, finish, finished, source } = await started();
    const outcomes: Outcome[] = [
      failed({ kind: 'cancelled', reason: 'by user', source: 'user' }),
      failed({ kind: 'timed-out', timeoutMs: 1000, elapsedMs: 1000 }),
      ok({ kind: 'skipped', reason: 'filtered' }),
    ];
    const sent = outcomes.map(() => dispatch(ch));
    await until(() => calls.length === 3, 'the executions');
    sent.forEach((s, i) => finish(s.occurrenceId, outcomes[i]!));
    await until(() => settled(ch) === 3, 'the acks');
    assert.deepEqual([...ch.acks].sort(), sent.map((s) => s.delivery.deliveryTag).sort());
    assert.ok(sent.every((s) => finished.has(s.occurrenceId)));
    await source.close();
  });

  it('requeues a job interrupted by shutdown, without counting it finished', async () => {
    const { ch, calls, finish, finished, logger, source } = await started();
    const s = dispatch(ch);
    await until(() => calls.length === 1, 'the execution');
    finish(s.occurrenceId, failed({ kind: 'cancelled', reason: new JobAbortError('shutdown', 'stopping').message, source: 'shutdown' }));
    await until(() => settled(ch) === 1, 'the nack');
    assert.deepEqual(ch.nacks, [{ deliveryTag: s.delivery.deliveryTag, requeue: true }]);
    assert.equal(finished.has(s.occurrenceId), false);
    assert.ok(logger.messages('warn').some((m) => m.endsWith('was interrupted by shutdown; it goes back to the queue')));
    await source.close();
  });

  it('carries out a scheduled retry: a copy with the next retry count goes to the delay queue, then the original is acked', async () => {
    const { ch, calls, finish, finished, publisher, publishConnection, source, jobs } = await started();
    const s = dispatch(ch);
    await until(() => calls.length === 1, 'the execution');
    finish(s.occurrenceId, failed({ kind: 'retry-scheduled', delayMs: 5000, nextRetryCount: 1, error: new Error('flaky') }));
    await until(() => settled(ch) === 1, 'the ack');
    const delayQueue = toRetryQueueName(jobs[0]!.queue, 5000);
    assert.deepEqual(ch.acks, [s.delivery.deliveryTag]);
    assert.equal((publishConnection.calls[0]?.args[0] as { queue: string }).queue, delayQueue);
    assert.equal(publisher.published.length, 1);
    const { envelope, body } = publisher.published[0]!;
    assert.equal(envelope.routingKey, delayQueue);
    assert.deepEqual(envelope.headers!['x-retry-count'], int32(1));
    assert.deepEqual(envelope.headers!['MaxRetries'], int32(3));
    assert.deepEqual(JSON.parse(body.toString()), s.body);
    assert.equal(finished.has(s.occurrenceId), false, 'a retried occurrence is not finished');
    await source.close();
  });

  it('runs the next attempt that comes back from its delay queue before the current one was acked, once that one is done', async () => {
    // The race: attempt 0's retry copy is published with a short delay; the broker routes it back to the job
    // queue before this worker has the confirm of that publish (so attempt 0 is still in progress here).
    const { ch, calls, finish, finished, publisher, logger, source } = await started();
    const confirm = deferred<void>();
    const publish = publisher.publish.bind(publisher);
    publisher.publish = (envelope, body) => publish(envelope, body).then(() => confirm.promise);
    const s = dispatch(ch);
    await until(() => calls.length === 1, 'attempt 0');
    finish(s.occurrenceId, failed({ kind: 'retry-scheduled', delayMs: 1, nextRetryCount: 1, error: new Error('flaky') }));
    await until(() => publisher.published.length === 1, 'the retry copy published, not yet confirmed');
    const retried = dispatch(ch, { occurrenceId: s.occurrenceId, jobId: s.jobId, headers: { 'x-retry-count': 1 } });
    await new Promise((resolve) => setImmediate(resolve));
    assert.equal(calls.length, 1, 'attempt 1 waits while attempt 0 is in progress');
    assert.equal(logger.messages('warn').some((m) => m.includes('was redelivered while it still runs here')), false, 'a new attempt is not a redelivered copy');
    confirm.resolve();
    await until(() => calls.length === 2, 'attempt 1 to run');
    assert.equal(calls[1]!.retryCount, 1);
    // Acks leave in the next event-loop turn (one frame per turn).
    await until(() => ch.acks.length === 1, 'the ack of attempt 0');
    assert.deepEqual(ch.acks, [s.delivery.deliveryTag], 'attempt 0 acked after its retry was confirmed');
    finish(s.occurrenceId, ok({ kind: 'completed', result: 'ok' }));
    await until(() => ch.acks.length === 2, 'attempt 1 acked');
    assert.deepEqual(ch.acks, [s.delivery.deliveryTag, retried.delivery.deliveryTag]);
    assert.equal(finished.has(s.occurrenceId), true);
    await source.close();
  });

  it('requeues the original when the retry copy cannot be published', async () => {
    const { ch, calls, finish, publisher, source } = await started();
    publisher.fail = () => true;
    const s = dispatch(ch);
    await until(() => calls.length === 1, 'the execution');
    finish(s.occurrenceId, failed({ kind: 'retry-scheduled', delayMs: 5000, nextRetryCount: 1, error: new Error('flaky') }));
    await until(() => settled(ch) === 1, 'the nack');
    assert.deepEqual(ch.nacks, [{ deliveryTag: s.delivery.deliveryTag, requeue: true }]);
    await source.close();
  });

  it('dead-letters a permanent failure: the Retry notice reaches the sink, the DlqJobMessage is published, the delivery acked and finished', async () => {
    const { ch, calls, finish, finished, publisher, sink, source } = await started();
    const s = dispatch(ch);
    await until(() => calls.length === 1, 'the execution');
    finish(s.occurrenceId, failed({ kind: 'failed', error: new PermanentJobError('cannot work'), permanent: true }));
    await until(() => settled(ch) === 1, 'the ack');
    assert.deepEqual(ch.acks, [s.delivery.deliveryTag]);
    const [notice] = sink.logs(s.occurrenceId);
    assert.equal(notice?.category, LogCategory.Retry);
    assert.equal(notice?.message, 'Job moved to the dead-letter queue: PermanentFailure');
    const { envelope, body } = publisher.published[0]!;
    assert.equal(envelope.exchange, MilvaionNames.deadLetterExchange);
    const dlq = JSON.parse(body.toString()) as Record<string, unknown>;
    assert.equal(dlq['Id'], s.jobId);
    assert.match(String(dlq['Exception']), /^\[PERMANENT FAILURE\] Type: PermanentJobError\nMessage: cannot work/);
    assert.equal(finished.has(s.occurrenceId), true);
    await source.close();
  });

  it('rejects a dead-lettered occurrence whose DLQ message is not confirmed, and does not count it finished', async () => {
    const { ch, calls, finish, finished, publisher, source } = await started();
    publisher.fail = () => true;
    const s = dispatch(ch);
    await until(() => calls.length === 1, 'the execution');
    finish(s.occurrenceId, failed({ kind: 'unknown-job', jobName: 'EchoJob' }));
    await until(() => settled(ch) === 1, 'the nack');
    assert.deepEqual(ch.nacks, [{ deliveryTag: s.delivery.deliveryTag, requeue: false }]);
    assert.equal(finished.has(s.occurrenceId), false);
    await source.close();
  });

  it('requeues (and does not count finished) when the final status could not be recorded', async () => {
    const { ch, calls, finish, finished, logger, source } = await started();
    const s = dispatch(ch);
    await until(() => calls.length === 1, 'the execution');
    finish(s.occurrenceId, new Error('outbox write failed'));
    await until(() => settled(ch) === 1, 'the nack');
    assert.deepEqual(ch.nacks, [{ deliveryTag: s.delivery.deliveryTag, requeue: true }]);
    assert.equal(finished.has(s.occurrenceId), false);
    assert.ok(logger.messages('error').some((m) => m.includes('could not be recorded; requeueing the delivery')));
    assert.equal(source.inFlight, 0);
    await source.close();
  });

  it('warns once when a delivery is held past 80 % of the consumer timeout', async (t) => {
    t.mock.timers.enable({ apis: ['setInterval', 'Date'] });
    const { ch, calls, finish, logger, source } = await started({ consumerTimeoutMs: 100_000 });
    const s = dispatch(ch);
    await until(() => calls.length === 1, 'the execution');
    const warnings = () => logger.messages('warn').filter((m) => m.includes('has held its delivery'));
    t.mock.timers.tick(80_000);
    assert.equal(warnings().length, 0, 'not at 80 % exactly');
    t.mock.timers.tick(10_000);
    assert.equal(warnings().length, 1);
    assert.match(warnings()[0]!, new RegExp(`^EchoJob ${s.occurrenceId} has held its delivery for 2 min; RabbitMQ's consumer_timeout \\(2 min\\)`));
    t.mock.timers.tick(60_000);
    assert.equal(warnings().length, 1, 'warned once per delivery');
    finish(s.occurrenceId, ok({ kind: 'completed', result: undefined }));
    await until(() => settled(ch) === 1, 'the ack');
    await source.close();
  });

  it('pause stops every consumer and resume restarts them, each with a log line', async () => {
    const jobs = [consumedJob('EchoJob'), consumedJob('ReportJob')];
    const { connection, source, logger } = setup({}, jobs);
    source.start();
    await source.ready();
    await source.pause('the outbox is full');
    assert.equal(source.consuming, false);
    assert.ok(connection.channels.every((ch) => ch.consumers.size === 0));
    assert.deepEqual(logger.messages('warn'), ['Not taking new jobs: the outbox is full']);
    source.resume();
    await until(() => source.consuming, 'consuming again');
    assert.ok(connection.channels.every((ch) => ch.consumers.size === 1));
    assert.deepEqual(logger.messages('info'), ['Taking new jobs again']);
    await source.close();
  });

  it('close waits for the deliveries in progress, settles them, then closes the channels', async () => {
    const { ch, calls, finish, source } = await started();
    const s = dispatch(ch);
    await until(() => calls.length === 1, 'the execution');
    let closed = false;
    const closing = source.close().then(() => (closed = true));
    await flush();
    assert.equal(closed, false);
    assert.equal(ch.active, true);
    finish(s.occurrenceId, ok({ kind: 'completed', result: undefined }));
    await closing;
    assert.deepEqual(ch.acks, [s.delivery.deliveryTag]);
    assert.equal(ch.active, false);
  });
});

/** Records that fail the spec when anything asks them: a path that must not touch them. */
const untouchable: RedeliveryRecords = {
  noteRedelivery: () => assert.fail('a redelivery record was read'),
  release: () => assert.fail('a release was recorded'),
};

/**
 * Shared records in memory, each call counted; `finishing` holds every finish() until the spec resolves it. Attempts
 * answer from `attempts` (`<occurrence>:<retry>` → state), undefined (away) for one not in it.
 */
function fakeShared(finishedElsewhere: readonly string[] = []) {
  const calls: string[] = [];
  let release: () => void = () => undefined;
  const finishing = new Promise<void>((resolve) => (release = resolve));
  const attempts = new Map<string, AttemptState>();
  const shared: SharedOccurrences = {
    finish: (id) => (calls.push(`finish ${id}`), finishing),
    isFinished: (id) => (calls.push(`isFinished ${id}`), Promise.resolve(finishedElsewhere.includes(id))),
    noteRedelivery: () => Promise.resolve(undefined), // away: the process's own records answer
    release: (id) => (calls.push(`release ${id}`), Promise.resolve()),
    hold: (list) => (calls.push(`hold ${list.map((a) => a.occurrenceId).join(',')}`), Promise.resolve()),
    end: (a, ending) => (calls.push(`end ${a.occurrenceId}:${a.retryCount} ${ending}`), Promise.resolve()),
    attempt: (a) => Promise.resolve(attempts.get(`${a.occurrenceId}:${a.retryCount}`)),
  };
  return { shared, calls, attempts, letFinish: () => release() };
}

/** Quick attempt timing for the specs: a redelivery waits 20 ms, then asks every 5 ms while another process holds it. */
const QUICK = { holdAfterMs: 1000, leaseMs: 15_000, tickMs: 1000, graceMs: 20, pollMs: 5 };

describe('createAmqpSource: redeliveries that no run here explains', () => {
  it('a first delivery reads no redelivery record, shared or own', async () => {
    const { shared, calls: sharedCalls, letFinish } = fakeShared();
    letFinish();
    const { ch, calls, finish, source } = await started({ redeliveries: { records: untouchable, shared, maxCrashRedeliveries: 3 } });
    const s = dispatch(ch);
    await until(() => calls.length === 1, 'the execution');
    finish(s.occurrenceId, ok({ kind: 'completed', result: undefined }));
    await until(() => settled(ch) === 1, 'the ack');
    assert.deepEqual(sharedCalls, [`finish ${s.occurrenceId}`], 'only the finish is shared');
    await source.close();
  });

  it('shares a finish before the ack, and acks unrun a redelivery another process finished', async () => {
    const { shared, calls: sharedCalls, letFinish } = fakeShared(['00000000-0000-4000-8000-00000000beef']);
    const { ch, calls, finish, finished, logger, source } = await started({ redeliveries: { records: untouchable, shared, maxCrashRedeliveries: 3 } });
    const s = dispatch(ch);
    await until(() => calls.length === 1, 'the execution');
    finish(s.occurrenceId, ok({ kind: 'completed', result: undefined }));
    await until(() => sharedCalls.length === 1, 'the shared finish');
    await flush();
    assert.equal(settled(ch), 0, 'no ack before the finish is shared');
    letFinish();
    await until(() => settled(ch) === 1, 'the ack');
    const elsewhere = dispatch(ch, { occurrenceId: '00000000-0000-4000-8000-00000000beef' }, { redelivered: true });
    await until(() => settled(ch) === 2, 'the ack of the redelivery');
    assert.deepEqual(ch.acks, [s.delivery.deliveryTag, elsewhere.delivery.deliveryTag]);
    assert.equal(calls.length, 1, 'the occurrence finished elsewhere did not run');
    assert.equal(finished.has(elsewhere.occurrenceId), true);
    assert.ok(logger.messages('info').some((m) => m.includes('already finished in another process of this worker')));
    await source.close();
  });

  it('runs a first crash beside the others, saying so', async () => {
    const { ch, calls, finish, logger, source } = await started();
    const running = dispatch(ch);
    await until(() => calls.length === 1, 'the first execution');
    const crashed = dispatch(ch, {}, { redelivered: true });
    await until(() => calls.length === 2, 'the crashed one runs beside it');
    assert.ok(logger.messages('warn').includes(`EchoJob ${crashed.occurrenceId}: its last delivery ended with no outcome (crash 1; up to 3 run again)`));
    finish(running.occurrenceId, ok({ kind: 'completed', result: undefined }));
    finish(crashed.occurrenceId, ok({ kind: 'completed', result: undefined }));
    await until(() => settled(ch) === 2, 'two acks');
    await source.close();
  });

  it('runs a second crash in a row alone: it waits for the running job, and a new job waits for it', async () => {
    const records = createRedeliveryCounts();
    const { ch, calls, finish, logger, source } = await started({ redeliveries: { records, maxCrashRedeliveries: 3 } });
    const running = dispatch(ch);
    await until(() => calls.length === 1, 'the first execution');
    const occurrenceId = '00000000-0000-4000-8000-0000000c0ffe';
    await records.noteRedelivery(occurrenceId); // its first crash
    const suspect = dispatch(ch, { occurrenceId }, { redelivered: true });
    await until(() => logger.messages('warn').some((m) => m.includes('(crash 2; up to 3 run again); it runs alone once the jobs running here end')), 'the warning');
    const next = dispatch(ch);
    await flush();
    assert.equal(calls.length, 1, 'neither the suspect nor the next job runs beside the running one');
    finish(running.occurrenceId, ok({ kind: 'completed', result: undefined }));
    await until(() => calls.length === 2, 'the suspect');
    assert.equal(calls[1]!.occurrenceId, suspect.occurrenceId);
    await flush();
    assert.equal(calls.length, 2, 'the next job waits while the suspect runs');
    finish(suspect.occurrenceId, ok({ kind: 'completed', result: undefined }));
    await until(() => calls.length === 3, 'the next job');
    finish(next.occurrenceId, ok({ kind: 'completed', result: undefined }));
    await until(() => settled(ch) === 3, 'three acks');
    await source.close();
  });

  it('past MaxCrashRedeliveries, does not run it: a Failed status says why, the dead letter names the crashes, the delivery is acked', async () => {
    const records = createRedeliveryCounts();
    const { ch, calls, finished, publisher, sink, source } = await started({ redeliveries: { records, maxCrashRedeliveries: 2 } });
    const poison = dispatch(ch, {}, { redelivered: true });
    for (let crash = 1; crash <= 2; crash++) await records.noteRedelivery(poison.occurrenceId); // two earlier crash redeliveries
    // That delivery counts a third crash: more than 2.
    await until(() => settled(ch) === 1, 'the ack');
    assert.deepEqual(ch.acks, [poison.delivery.deliveryTag]);
    assert.equal(calls.length, 0, 'the poison message did not run');
    const text = 'Not run again: 3 deliveries of this occurrence ended with no outcome, its worker process gone while it ran (more than Worker:MaxCrashRedeliveries = 2)';
    const [final] = sink.statuses(poison.occurrenceId);
    assert.equal(final?.status, 3);
    assert.equal(final?.exception, text);
    assert.ok(sink.logs(poison.occurrenceId).some((l) => l.level === 'Error' && l.message === text));
    const { envelope, body } = publisher.published[0]!;
    assert.equal(envelope.exchange, MilvaionNames.deadLetterExchange);
    assert.equal((JSON.parse(body.toString()) as Record<string, unknown>)['Exception'], text);
    assert.equal(finished.has(poison.occurrenceId), true);
    await source.close();
  });

  it('counts no crash for the redelivery of a delivery it gave back on purpose (shutdown)', async () => {
    const records = createRedeliveryCounts();
    const { ch, calls, finish, logger, source } = await started({ redeliveries: { records, maxCrashRedeliveries: 3 } });
    const s = dispatch(ch);
    await until(() => calls.length === 1, 'the execution');
    finish(s.occurrenceId, failed({ kind: 'cancelled', reason: 'stopping', source: 'shutdown' }));
    await until(() => settled(ch) === 1, 'the requeue');
    const other = dispatch(ch);
    await until(() => calls.length === 2, 'another job');
    dispatch(ch, { occurrenceId: s.occurrenceId, jobId: s.jobId }, { redelivered: true });
    await until(() => calls.length === 3, 'the redelivery runs beside the other job');
    assert.ok(!logger.messages('warn').some((m) => m.includes('ended with no outcome')));
    assert.deepEqual(await records.noteRedelivery(s.occurrenceId), { crashes: 1, counted: true }, 'the release was used up, nothing counted before');
    finish(other.occurrenceId, ok({ kind: 'completed', result: undefined }));
    finish(s.occurrenceId, ok({ kind: 'completed', result: undefined }));
    await until(() => settled(ch) === 3, 'all settled');
    await source.close();
  });

  it('counts no crash for the redelivery of a delivery that a pause gave back before it started', async () => {
    const records = createRedeliveryCounts();
    const { ch, calls, finish, logger, source } = await started({ redeliveries: { records, maxCrashRedeliveries: 3 } });
    const running = [dispatch(ch), dispatch(ch), dispatch(ch), dispatch(ch)];
    await until(() => calls.length === 4, 'four executions (MaxParallelJobs)');
    const waiting = dispatch(ch);
    await flush();
    await source.pause('the outbox is full');
    assert.deepEqual(ch.nacks, [{ deliveryTag: waiting.delivery.deliveryTag, requeue: true }]);
    source.resume();
    await until(() => source.consuming, 'consuming again');
    for (const r of running) finish(r.occurrenceId, ok({ kind: 'completed', result: undefined }));
    dispatch(ch, { occurrenceId: waiting.occurrenceId, jobId: waiting.jobId }, { redelivered: true });
    await until(() => calls.length === 5, 'the redelivery runs');
    assert.ok(!logger.messages('warn').some((m) => m.includes('ended with no outcome')));
    finish(waiting.occurrenceId, ok({ kind: 'completed', result: undefined }));
    await until(() => ch.acks.length === 5, 'five acks');
    await source.close();
  });

  it('waits while another process holds the attempt, then acks it unrun once that run ended settled, counting no crash', async () => {
    const { shared, attempts, letFinish } = fakeShared();
    letFinish();
    const { ch, calls, logger, source } = await started({ redeliveries: { records: untouchable, shared, maxCrashRedeliveries: 3, timing: QUICK } });
    const occurrenceId = '00000000-0000-4000-8000-0000000a11ce';
    attempts.set(`${occurrenceId}:0`, { kind: 'running', holder: 'spec-source-other' });
    const redelivered = dispatch(ch, { occurrenceId }, { redelivered: true });
    const waitLine = `EchoJob ${occurrenceId} was redelivered while it still runs in spec-source-other, another process of this worker; waiting for that run to end`;
    await eventually(() => logger.messages('warn').includes(waitLine), 'the wait line');
    await new Promise((resolve) => setTimeout(resolve, 30));
    assert.equal(settled(ch), 0, 'held while the other run goes on');
    assert.equal(logger.messages('warn').filter((m) => m === waitLine).length, 1, 'said once');
    attempts.set(`${occurrenceId}:0`, { kind: 'settled' });
    await eventually(() => settled(ch) === 1, 'the ack');
    assert.deepEqual(ch.acks, [redelivered.delivery.deliveryTag]);
    assert.equal(calls.length, 0, 'it did not run here');
    assert.ok(logger.messages('info').some((m) => m.includes('ended in another process of this worker, whose connection was lost before its ack')));
    await source.close();
  });

  it('runs a redelivery, counting a crash, when the holder\'s lease runs out (its process died while it ran)', async () => {
    const { shared, attempts, letFinish } = fakeShared();
    letFinish();
    const records = createRedeliveryCounts();
    const { ch, calls, finish, logger, source } = await started({ redeliveries: { records, shared, maxCrashRedeliveries: 3, timing: QUICK } });
    const occurrenceId = '00000000-0000-4000-8000-0000000dead0';
    attempts.set(`${occurrenceId}:0`, { kind: 'running', holder: 'spec-source-gone' });
    dispatch(ch, { occurrenceId }, { redelivered: true });
    await eventually(() => logger.messages('warn').some((m) => m.includes('still runs in spec-source-gone')), 'the wait line');
    attempts.set(`${occurrenceId}:0`, { kind: 'unknown' });
    await eventually(() => calls.length === 1, 'the run');
    assert.ok(logger.messages('warn').includes(`EchoJob ${occurrenceId}: its last delivery ended with no outcome (crash 1; up to 3 run again)`));
    finish(occurrenceId, ok({ kind: 'completed', result: undefined }));
    await eventually(() => settled(ch) === 1, 'the ack');
    await source.close();
  });

  it('runs a redelivery of an occurrence given back on purpose at once, with no grace wait and no crash counted', async () => {
    const { shared, attempts, letFinish } = fakeShared();
    letFinish();
    const records = createRedeliveryCounts();
    const occurrenceId = '00000000-0000-4000-8000-0000000bac00';
    await records.release(occurrenceId); // its process gave it back (a shutdown)
    // A grace period of a minute: a redelivery that waited for it would not run within this spec.
    const { ch, calls, finish, logger, source } = await started({ redeliveries: { records, shared, maxCrashRedeliveries: 3, timing: { ...QUICK, graceMs: 60_000 } } });
    attempts.set(`${occurrenceId}:0`, { kind: 'returned' });
    dispatch(ch, { occurrenceId }, { redelivered: true });
    await eventually(() => calls.length === 1, 'the run, without the grace wait', 5000);
    assert.ok(!logger.messages('warn').some((m) => m.includes('ended with no outcome')));
    assert.deepEqual(await records.noteRedelivery(occurrenceId), { crashes: 1, counted: true }, 'the release was used up, nothing counted before');
    finish(occurrenceId, ok({ kind: 'completed', result: undefined }));
    await eventually(() => settled(ch) === 1, 'the ack');
    await source.close();
  });

  it('gives a waiting redelivery back to the queue when the source closes, released so it counts no crash', async () => {
    const { shared, calls: sharedCalls, attempts, letFinish } = fakeShared();
    letFinish();
    const { ch, calls, logger, source } = await started({ redeliveries: { records: createRedeliveryCounts(), shared, maxCrashRedeliveries: 3, timing: QUICK } });
    const occurrenceId = '00000000-0000-4000-8000-0000000c1053';
    attempts.set(`${occurrenceId}:0`, { kind: 'running', holder: 'spec-source-other' });
    const redelivered = dispatch(ch, { occurrenceId }, { redelivered: true });
    await eventually(() => logger.messages('warn').some((m) => m.includes('still runs in spec-source-other')), 'the wait line');
    await source.close();
    assert.deepEqual(ch.nacks, [{ deliveryTag: redelivered.delivery.deliveryTag, requeue: true }]);
    assert.equal(calls.length, 0);
    assert.ok(sharedCalls.includes(`release ${occurrenceId}`));
    assert.deepEqual(logger.messages('error'), []);
  });

  it('says how an attempt ended when its channel was gone before its ack, so a redelivery elsewhere need not run it', async () => {
    const { shared, calls: sharedCalls, letFinish } = fakeShared();
    letFinish();
    const { ch, calls, finish, source } = await started({ redeliveries: { records: untouchable, shared, maxCrashRedeliveries: 3, timing: QUICK } });
    const quick = dispatch(ch);
    const lost = dispatch(ch);
    await until(() => calls.length === 2, 'two executions');
    finish(quick.occurrenceId, ok({ kind: 'completed', result: undefined }));
    await until(() => settled(ch) === 1, 'the ack on a live channel');
    ch.drop();
    finish(lost.occurrenceId, ok({ kind: 'completed', result: undefined }));
    await until(() => sharedCalls.includes(`end ${lost.occurrenceId}:0 settled`), 'the ending of the lost one');
    assert.ok(!sharedCalls.some((c) => c.startsWith(`end ${quick.occurrenceId}`)), 'a short attempt acked on its channel writes nothing');
    await source.close();
  });

  it('with MaxCrashRedeliveries 0, counts nothing and runs every redelivery at once', async () => {
    const { ch, calls, finish, source } = await started({ redeliveries: { records: untouchable, maxCrashRedeliveries: 0 } });
    const s = dispatch(ch, {}, { redelivered: true });
    await until(() => calls.length === 1, 'the execution');
    finish(s.occurrenceId, failed({ kind: 'cancelled', reason: 'stopping', source: 'shutdown' }));
    await until(() => settled(ch) === 1, 'the requeue');
    await source.close();
  });
});
