// The serverless handler with createHandlerReporter() against the real broker (a vhost of this file's own): jobs the
// scheduler stand-in dispatches are taken from their job queue, handed to the handler as AWS's Amazon MQ event
// would carry them, and the stand-in sees what a worker would send: Running, the logs, the final status, the
// retry back in the job queue, and the dead letter.
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { Connection, type SyncMessage } from 'rabbitmq-client';
import * as v from 'valibot';
import { defineJob, JobStatus } from '../../lib/index.ts';
import { createHandler } from '../../lib/serverless.ts';
import { type AmazonMqEvent, type AmazonMqMessage } from '../../lib/serverless/handler-event.ts';
import { createHandlerReporter, jobQueueArguments, MilvaionNames, toJobQueueName, toRoutingPattern, type AmqpHandlerReporter } from '../../lib/amqp.ts';
import { toRetryQueueName } from '../../lib/transports/amqp/milvaion-names.ts';
import { createSchedulerClient, type SchedulerClient } from '../../lib/scheduler-client/index.ts';
import { useAdminVhost } from '../support/amqp-harness.ts';
import { available, needs } from '../support/services.ts';

const WORKER_ID = 'spec-lambda';
const vhost = useAdminVhost('spec-serverless-reporter', available('rabbitmq'));
const vhostName = decodeURIComponent(new URL(vhost.url).pathname.slice(1));

let attempts = 0;
const jobs = [
  defineJob({
    name: 'ReportJob',
    data: v.object({ month: v.string() }),
    run: (data, ctx) => {
      ctx.log.info(`Building the report of ${data.month}`);
      return { rows: 30 };
    },
  }),
  defineJob({
    name: 'FlakyJob',
    maxRetries: 1,
    baseRetryDelaySeconds: 0.05,
    run: () => {
      attempts++;
      throw new Error('the upstream API is down');
    },
  }),
];

/** Declares a job queue bound to the jobs exchange, as a worker of WORKER_ID would for `jobName`. */
async function declareJobQueue(admin: Connection, jobName: string): Promise<string> {
  const pattern = toRoutingPattern(WORKER_ID, jobName);
  const queue = toJobQueueName(pattern);
  await admin.exchangeDeclare({ exchange: MilvaionNames.jobsExchange, type: 'topic', durable: true });
  await admin.exchangeDeclare({ exchange: MilvaionNames.deadLetterExchange, type: 'direct', durable: true });
  await admin.queueDeclare({ queue, durable: true, arguments: jobQueueArguments('Classic') });
  await admin.queueBind({ queue, exchange: MilvaionNames.jobsExchange, routingKey: pattern });
  return queue;
}

/** Takes `count` messages from a queue (basic.get), waiting for them up to 10 s. */
async function take(admin: Connection, queue: string, count: number): Promise<SyncMessage[]> {
  const taken: SyncMessage[] = [];
  const deadline = Date.now() + 10_000;
  while (taken.length < count) {
    const message = await admin.basicGet({ queue, noAck: true });
    if (message !== undefined) taken.push(message);
    else if (Date.now() > deadline) throw new Error(`Timed out waiting for ${count} messages in ${queue}; ${taken.length} arrived`);
    else await new Promise((resolve) => setTimeout(resolve, 20));
  }
  return taken;
}

/** A header value as AWS's event carries it: long strings as `{ bytes }` (signed, as Java's), tables and arrays inside. */
function toAwsHeader(value: unknown): unknown {
  if (typeof value === 'string') return { bytes: [...Buffer.from(value, 'utf8')].map((b) => (b > 127 ? b - 256 : b)) };
  if (Array.isArray(value)) return value.map(toAwsHeader);
  if (typeof value === 'object' && value !== null) return Object.fromEntries(Object.entries(value).map(([k, inner]) => [k, toAwsHeader(inner)]));
  return value;
}

/** The Lambda event of an Amazon MQ for RabbitMQ event source that consumed `messages` from `queue`. */
function toAmazonMqEvent(queue: string, messages: readonly SyncMessage[]): AmazonMqEvent {
  const toMessage = (m: SyncMessage): AmazonMqMessage => {
    const raw: unknown = m.body;
    const body = Buffer.isBuffer(raw) ? raw : Buffer.from(typeof raw === 'string' ? raw : JSON.stringify(raw));
    return {
      basicProperties: { contentType: m.contentType ?? null, correlationId: m.correlationId ?? null, messageId: m.messageId ?? null, headers: toAwsHeader(m.headers ?? {}) as Record<string, unknown>, deliveryMode: 2, bodySize: body.length },
      redelivered: m.redelivered,
      data: body.toString('base64'),
    };
  };
  return { eventSource: 'aws:rmq', eventSourceArn: 'arn:aws:mq:us-west-2:112556298976:broker:spec:b-0', rmqMessagesByQueue: { [`${queue}::${vhostName}`]: messages.map(toMessage) } };
}

/**
 * Publishes a marker (confirmed) to the status and the log queue and waits until the stand-in collected both. A
 * message confirmed before the marker was published is in its queue before the marker, so it is collected by then.
 */
async function afterMarkers(scheduler: SchedulerClient): Promise<void> {
  const marker = randomUUID();
  await scheduler.publishRaw({ routingKey: MilvaionNames.statusUpdatesQueue, body: JSON.stringify({ CorrelationId: marker, Status: JobStatus.Completed }) });
  await scheduler.publishRaw({ routingKey: MilvaionNames.workerLogsQueue, body: JSON.stringify({ CorrelationId: marker, Log: { Message: 'marker' } }) });
  await scheduler.waitUntil(() => scheduler.statuses(marker).length > 0 && scheduler.logs(marker).length > 0, { what: 'the markers' });
}

describe('createHandler with createHandlerReporter (RabbitMQ)', { ...needs('rabbitmq'), timeout: 60_000 }, () => {
  let scheduler: SchedulerClient;
  let reporter: AmqpHandlerReporter;

  before(async () => {
    scheduler = await createSchedulerClient({ url: vhost.url });
    reporter = createHandlerReporter({ url: vhost.url, workerId: WORKER_ID });
  });
  after(async () => {
    await reporter?.close();
    await scheduler?.close();
  });

  it('reports the Running, the log and Completed of each message of an Amazon MQ event, confirmed before it returns', async () => {
    const queue = await declareJobQueue(vhost.admin(), 'ReportJob');
    const dispatched = [
      await scheduler.dispatch({ jobName: 'ReportJob', workerId: WORKER_ID, data: { month: '2026-03' } }),
      await scheduler.dispatch({ jobName: 'ReportJob', workerId: WORKER_ID, data: { month: '2026-04' } }),
    ];
    const handle = createHandler({ jobs, reporter });
    const results = await handle(toAmazonMqEvent(queue, await take(vhost.admin(), queue, 2)));

    assert.deepEqual(results.map((r) => [r.occurrenceId, r.statusName, r.queue, r.published]), dispatched.map((d) => [d.occurrenceId, 'Completed', queue, 'none']));
    // Everything was confirmed before the handler returned: it is in its queue ahead of markers published now.
    await afterMarkers(scheduler);
    for (const [i, { occurrenceId }] of dispatched.entries()) {
      const final = scheduler.statuses(occurrenceId).at(-1)!;
      assert.equal(final.body?.Status, JobStatus.Completed);
      assert.equal(final.body?.Result, '{"rows":30}');
      assert.equal(final.body?.WorkerId, WORKER_ID);
      assert.equal(final.body?.['InstanceId'], reporter.instanceId);
      assert.deepEqual(scheduler.statuses(occurrenceId).map((s) => s.body?.Status), [JobStatus.Running, JobStatus.Completed]);
      const logs = scheduler.logs(occurrenceId);
      assert.deepEqual(logs.map((l) => [l.body?.Log?.['Level'], l.body?.Log?.['Message']]), [['Information', `Building the report of 2026-0${i + 3}`]]);
    }
  });

  it('publishes a failing job\'s retry back to its job queue through a delay queue, then its dead letter, as the worker does', async () => {
    const admin = vhost.admin();
    const queue = await declareJobQueue(admin, 'FlakyJob');
    const { occurrenceId } = await scheduler.dispatch({ jobName: 'FlakyJob', workerId: WORKER_ID });
    const handle = createHandler({ jobs, reporter });

    const [first] = await handle(toAmazonMqEvent(queue, await take(admin, queue, 1)));
    assert.equal(first!.published, 'retry');
    assert.equal(first!.statusName, 'Running', 'no final status between attempts');
    assert.deepEqual(first!.retry, { delayMs: 50, retryCount: 1 });
    // The copy waited in the worker's delay queue for this job queue, then came back to the job queue.
    await admin.queueDeclare({ queue: toRetryQueueName(queue, 50), passive: true });
    const [copy] = await take(admin, queue, 1);
    assert.equal(copy!.headers?.['x-retry-count'], 1);
    assert.equal(copy!.headers?.['MaxRetries'], 1);
    assert.equal(copy!.headers?.['CorrelationId'], occurrenceId);
    assert.equal(copy!.correlationId, occurrenceId);

    const [second] = await handle(toAmazonMqEvent(queue, [copy!]));
    assert.equal(second!.published, 'dead-letter');
    assert.equal(second!.statusName, 'Failed');
    assert.equal(attempts, 2);
    const final = await scheduler.waitForFinalStatus(occurrenceId);
    assert.equal(final.body?.Status, JobStatus.Failed);
    assert.match(String(final.body?.Exception), /^Max retries \(1\) exceeded\. Original exception: .*the upstream API is down/s);
    const dead = await scheduler.waitFor(() => scheduler.deadLetters(occurrenceId)[0], { what: 'the dead letter' });
    assert.equal(dead.body?.['JobNameInWorker'], 'FlakyJob');
    assert.equal(dead.body?.['Status'], JobStatus.Failed);
    assert.equal(dead.headers['x-retry-count'], 1);
    assert.equal(dead.headers['MaxRetries'], 1);
    // The occurrence's log in the dashboard: the retry notice of attempt 1, the dead-letter notice of attempt 2.
    const notices = await scheduler.waitFor(() => scheduler.logs(occurrenceId).length >= 2 && scheduler.logs(occurrenceId), { what: 'the retry and dead-letter notices' });
    assert.deepEqual(notices.map((l) => l.body?.Log?.['Category']), ['Retry', 'Retry']);
    assert.match(String(notices[0]!.body?.Log?.['Message']), /^Job failed, retry 1\/1 in 0\.05s: the upstream API is down$/);
    assert.equal(notices[1]!.body?.Log?.['Message'], 'Job moved to the dead-letter queue: MaxRetriesExceeded');
  });

  it('refuses to publish a retry that could not go back: the event\'s virtual host is not the reporter\'s', async () => {
    const handle = createHandler({ jobs, reporter });
    const data = Buffer.from(JSON.stringify({ id: randomUUID(), jobNameInWorker: 'FlakyJob' })).toString('base64');
    const occurrenceId = randomUUID();
    await assert.rejects(
      handle({ eventSource: 'aws:rmq', rmqMessagesByQueue: { 'scheduled_jobs_queue.spec-lambda.flaky.wildcard::elsewhere': [{ basicProperties: { correlationId: occurrenceId }, data }] } }),
      new RegExp(`^Error: The retry of FlakyJob ${occurrenceId} cannot be published: its message came from scheduled_jobs_queue\\.spec-lambda\\.flaky\\.wildcard in virtual host "elsewhere", but the reporter's URL points at "${vhostName}"; give createHandlerReporter the event source's virtual host$`),
    );
  });

  it('dead-letters a message of the event that is not a job message, with the reason, and runs the rest', async () => {
    const queue = await declareJobQueue(vhost.admin(), 'ReportJob');
    const { occurrenceId } = await scheduler.dispatch({ jobName: 'ReportJob', workerId: WORKER_ID, data: { month: '2026-06' } });
    const event = toAmazonMqEvent(queue, await take(vhost.admin(), queue, 1));
    const garbage: AmazonMqMessage = { basicProperties: { headers: { JobType: { bytes: [82, 101] } } }, data: Buffer.from('{"jobName":"ReportJob"}').toString('base64') };
    const key = Object.keys(event.rmqMessagesByQueue)[0]!;
    const results = await createHandler({ jobs, reporter })({ ...event, rmqMessagesByQueue: { [key]: [garbage, ...event.rmqMessagesByQueue[key]!] } });
    assert.deepEqual(results.map((r) => [r.statusName, r.published]), [['Failed', 'dead-letter'], ['Completed', 'none']]);
    assert.match(results[0]!.exception!, /a job message needs id .* and jobNameInWorker .*; got jobName; occurrence id: no UUID/);
    await afterMarkers(scheduler);
    assert.equal(scheduler.statuses(occurrenceId).at(-1)?.body?.Status, JobStatus.Completed);
    const dead = await scheduler.waitFor(() => scheduler.deadLetters().find((m) => m.text === '{"jobName":"ReportJob"}'), { what: 'the dead-lettered garbage' });
    assert.match(String(dead.headers['x-dead-letter-reason']), /^Invalid job message: a job message needs id/);
    assert.equal(dead.headers['JobType'], 'Re', 'its headers as received');
  });

  it('sends nothing without a reporter', async () => {
    const queue = await declareJobQueue(vhost.admin(), 'ReportJob');
    const { occurrenceId } = await scheduler.dispatch({ jobName: 'ReportJob', workerId: WORKER_ID, data: { month: '2026-05' } });
    const [result] = await createHandler({ jobs })(toAmazonMqEvent(queue, await take(vhost.admin(), queue, 1)));
    assert.equal(result!.statusName, 'Completed');
    assert.equal(result!.published, undefined);
    await afterMarkers(scheduler);
    assert.deepEqual(scheduler.statuses(occurrenceId), []);
    assert.deepEqual(scheduler.logs(occurrenceId), []);
  });
});

describe('createHandlerReporter: options and an unreachable broker', () => {
  it('refuses a workerId the dashboard cannot show and a URL that is not AMQP, without the password', () => {
    assert.throws(() => createHandlerReporter({ url: 'amqp://127.0.0.1', workerId: 'a:b' }), /workerId must be a non-empty name without ':' \(the dashboard's worker id\); got "a:b"/);
    assert.throws(() => createHandlerReporter({ url: 'http://user:secret@127.0.0.1', workerId: 'w' }), (error: Error) => /url must be an amqp:\/\/ or amqps:\/\/ URL; got "http:\/\/user:\*\*\*@127\.0\.0\.1"/.test(error.message) && !error.message.includes('secret'));
  });

  it('rejects the call when a status cannot be published: the message was not handled (Lambda retries the event)', async () => {
    // A connection the caller owns (refused port, short acquire timeout); close() leaves it to the caller.
    const connection = new Connection({ url: 'amqp://guest:guest@127.0.0.1:1', acquireTimeout: 300, retryLow: 50, retryHigh: 100 });
    connection.on('error', () => undefined);
    const reporter = createHandlerReporter({ connection, workerId: WORKER_ID });
    try {
      const handle = createHandler({ jobs, reporter });
      const body = { id: '0f8fad5b-d9cb-469f-a165-70867728950e', jobNameInWorker: 'ReportJob', jobData: '{"month":"2026-07"}' };
      await assert.rejects(handle({ body, headers: { CorrelationId: '7c9e6679-7425-40de-944b-e07fc1f90ae7' } }), /^Error: Reporting ReportJob 7c9e6679-7425-40de-944b-e07fc1f90ae7 to Milvaion failed: no connection to the broker in time \(last connection error: connect ECONNREFUSED 127\.0\.0\.1:1\); the message was not handled$/);
    } finally {
      await reporter.close();
      assert.equal(connection.ready, false);
      await connection.close();
    }
  });
});
