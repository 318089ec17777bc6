// Integration spec for createSchedulerClient against the real RabbitMQ on 127.0.0.1: what it dispatches must be
// byte-for-byte the scheduler's job message (protocol §1.6, §2.1), and what workers send back must be collected.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { Connection, type SyncMessage } from 'rabbitmq-client';
import { parseJobMessage } from '../../lib/core/engine/parse-job-message.ts';
import { MilvaionNames, toJobQueueName } from '../../lib/transports/amqp/milvaion-names.ts';
import { createSchedulerClient, newOccurrenceId, type SchedulerClient } from '../../lib/scheduler-client/index.ts';
import { toDispatchMessage } from '../../lib/scheduler-client/create-scheduler-client.ts';
import { createVhost, deleteVhost } from '../support/amqp-harness.ts';
import { available, needs } from '../support/services.ts';

const WORKER = `spec-${process.pid}`;
// A virtual host of its own: this spec purges the scheduler-side queues, which must not touch anyone else's.
const VHOST = `spec-scheduler-client-${process.pid}`;
const URL = `amqp://guest:guest@127.0.0.1:5672/${VHOST}`;
const PATTERN = `${WORKER}.sendemail.*`;
const JOB_QUEUE = toJobQueueName(PATTERN);
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

let rabbit: Connection;
const createdQueues = new Set<string>();

/** Declares a job queue exactly as a .NET worker does (protocol §1.2) and binds it to `jobs.topic`. */
async function declareJobQueue(pattern: string): Promise<string> {
  const queue = toJobQueueName(pattern);
  await rabbit.exchangeDeclare({ exchange: MilvaionNames.jobsExchange, type: 'topic', durable: true });
  await rabbit.queueDeclare({
    queue,
    durable: true,
    arguments: { 'x-dead-letter-exchange': MilvaionNames.deadLetterExchange, 'x-dead-letter-routing-key': MilvaionNames.deadLetterRoutingKey },
  });
  await rabbit.queueBind({ queue, exchange: MilvaionNames.jobsExchange, routingKey: pattern });
  await rabbit.queuePurge({ queue });
  createdQueues.add(queue);
  return queue;
}

async function getOne(queue: string): Promise<SyncMessage> {
  const deadline = Date.now() + 3000;
  while (Date.now() < deadline) {
    const msg = await rabbit.basicGet({ queue, noAck: true });
    if (msg !== undefined) return msg;
    await new Promise((r) => setTimeout(r, 20));
  }
  throw new Error(`no message on ${queue} within 3 s`);
}

async function withClient(fn: (scheduler: SchedulerClient) => Promise<void>, options: { purge?: boolean; queuePrefix?: string } = {}): Promise<void> {
  const scheduler = await createSchedulerClient({ url: URL, ...options });
  try {
    await fn(scheduler);
  } finally {
    await scheduler.close();
  }
}

// Shared by both broker suites, so registered only when they run.
if (available('rabbitmq')) {
  before(async () => {
    createVhost(VHOST);
    rabbit = new Connection({ url: URL, retryLow: 100, retryHigh: 500 });
    rabbit.on('error', () => undefined);
    await rabbit.onConnect(5000);
  });

  after(async () => {
    for (const queue of createdQueues) await rabbit.queueDelete({ queue });
    await rabbit.close();
    deleteVhost(VHOST);
  });
}

describe('createSchedulerClient: dispatch', needs('rabbitmq'), () => {
  it('publishes the scheduler job message to jobs.topic with the dispatch routing key, properties and headers', async () => {
    await declareJobQueue(PATTERN);
    await withClient(async (scheduler) => {
      const startSec = Math.floor(Date.now() / 1000);
      const sent = await scheduler.dispatch({ jobName: 'SendEmailJob', workerId: WORKER, data: { to: 'a@b.io' }, executionTimeoutSeconds: 30 });
      assert.match(sent.occurrenceId, UUID);
      assert.match(sent.jobId, UUID);
      assert.notEqual(sent.occurrenceId, sent.jobId);
      assert.equal(sent.routingPattern, PATTERN);
      assert.equal(sent.routingKey, `${WORKER}.sendemail.job`);

      const msg = await getOne(JOB_QUEUE);
      assert.equal(msg.exchange, 'jobs.topic');
      assert.equal(msg.routingKey, `${WORKER}.sendemail.job`);
      assert.equal(msg.durable, true);
      assert.equal(msg.contentType, 'application/json');
      assert.equal(msg.contentEncoding, undefined);
      assert.equal(msg.messageId, sent.jobId);
      assert.equal(msg.correlationId, sent.occurrenceId);
      assert.equal(msg.priority, 0);
      assert.ok(msg.timestamp !== undefined && msg.timestamp >= startSec && msg.timestamp <= startSec + 5, `timestamp ${msg.timestamp} is unix seconds`);

      const body = msg.body as Record<string, unknown>;
      assert.deepEqual(Object.keys(body), ['id', 'displayName', 'jobNameInWorker', 'jobData', 'executeAt', 'isActive', 'concurrentExecutionPolicy', 'workerId', 'routingPattern', 'executionTimeoutSeconds', 'version', 'jobVersions']);
      assert.equal(body['id'], sent.jobId);
      assert.equal(body['displayName'], 'SendEmailJob');
      assert.equal(body['jobNameInWorker'], 'SendEmailJob');
      assert.equal(body['jobData'], '{"to":"a@b.io"}', 'jobData is a JSON string, not an object');
      assert.match(String(body['executeAt']), /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
      assert.equal(body['isActive'], true);
      assert.equal(body['concurrentExecutionPolicy'], 1);
      assert.equal(body['workerId'], WORKER);
      assert.equal(body['routingPattern'], PATTERN);
      assert.equal(body['executionTimeoutSeconds'], 30);
      assert.equal(body['version'], 1);
      assert.deepEqual(body['jobVersions'], []);

      const headers = msg.headers ?? {};
      assert.deepEqual(Object.keys(headers).sort(), ['CorrelationId', 'ExecuteAt', 'IsRecurring', 'JobType', 'RoutingKey', 'WorkerId']);
      assert.equal(headers['JobType'], 'SendEmailJob');
      assert.match(String(headers['ExecuteAt']), /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.0000000Z$/);
      assert.equal(Date.parse(String(headers['ExecuteAt'])), Date.parse(String(body['executeAt'])));
      assert.equal(headers['IsRecurring'], false);
      assert.equal(headers['CorrelationId'], sent.occurrenceId);
      assert.equal(headers['RoutingKey'], `${WORKER}.sendemail.job`);
      assert.equal(headers['WorkerId'], WORKER);

      const envelope = parseJobMessage({ body: msg.body, headers, correlationId: msg.correlationId })._unsafeUnwrap();
      assert.equal(envelope.occurrenceId, sent.occurrenceId);
      assert.equal(envelope.jobId, sent.jobId);
      assert.equal(envelope.jobData, '{"to":"a@b.io"}');
      assert.equal(envelope.executionTimeoutSeconds, 30);
    });
  });

  it('honours occurrenceHeader, rawJobData, explicit ids and header overrides', async () => {
    const pattern = `${WORKER}.report.*`;
    const queue = await declareJobQueue(pattern);
    await withClient(async (scheduler) => {
      const occurrenceId = newOccurrenceId();
      const jobId = newOccurrenceId();
      await scheduler.dispatch({
        jobName: 'ReportJob', workerId: WORKER, rawJobData: 'not json', occurrenceId, jobId, occurrenceHeader: 'both',
        headers: { WorkerId: undefined, 'x-retry-count': 2 },
      });
      const msg = await getOne(queue);
      const body = msg.body as Record<string, unknown>;
      assert.equal(body['jobData'], 'not json');
      assert.equal('executionTimeoutSeconds' in body, false);
      assert.equal(body['id'], jobId);
      assert.equal(msg.messageId, jobId);
      assert.equal(msg.headers?.['OccurrenceId'], occurrenceId);
      assert.equal(msg.headers?.['CorrelationId'], occurrenceId);
      assert.equal('WorkerId' in (msg.headers ?? {}), false, 'a header set to undefined is removed');
      assert.equal(msg.headers?.['x-retry-count'], 2);

      await scheduler.dispatch({ jobName: 'ReportJob', workerId: WORKER, occurrenceId, occurrenceHeader: 'OccurrenceId' });
      const newer = await getOne(queue);
      assert.equal(newer.headers?.['OccurrenceId'], occurrenceId);
      assert.equal('CorrelationId' in (newer.headers ?? {}), false);
      assert.equal(newer.correlationId, occurrenceId, 'the correlation_id property always carries the occurrence id');
      assert.equal('jobData' in (newer.body as object), false, 'no data and no rawJobData: jobData is absent');
    });
  });

  it('records a dispatch the broker returns as unroutable and says so when its final status never comes', async () => {
    await withClient(async (scheduler) => {
      const sent = await scheduler.dispatch({ jobName: 'NobodyJob', workerId: `${WORKER}-unbound` });
      assert.equal(scheduler.returned().length, 1);
      assert.equal(scheduler.returned()[0]?.correlationId, sent.occurrenceId);
      await assert.rejects(scheduler.waitForFinalStatus(sent.occurrenceId, { timeoutMs: 150 }), /dispatch returned unroutable \(routing key spec-\d+-unbound\.nobody\.job\)/);
    });
  });

  it('publishRaw sends bytes with exactly the given properties', async () => {
    const queue = await declareJobQueue(`${WORKER}.raw.*`);
    await withClient(async (scheduler) => {
      await scheduler.publishRaw({ exchange: 'jobs.topic', routingKey: `${WORKER}.raw.job`, body: '{"id": broken', properties: { contentType: 'application/json', headers: { CorrelationId: 'nope' } } });
      await scheduler.publishRaw({ routingKey: queue, body: 'plain', properties: { correlationId: 'c-1' } });
      const broken = await getOne(queue);
      assert.equal(broken.contentType, 'application/json');
      assert.ok(Buffer.isBuffer(broken.body), 'unparseable JSON stays bytes');
      assert.equal(broken.body.toString(), '{"id": broken');
      assert.equal(broken.headers?.['CorrelationId'], 'nope');
      const plain = await getOne(queue);
      assert.equal(plain.contentType, undefined, 'a string body is not given text/plain');
      assert.equal(plain.correlationId, 'c-1');
      assert.equal(plain.body.toString(), 'plain');
    });
  });
});

describe('createSchedulerClient: collecting', needs('rabbitmq'), () => {
  it('collects status updates by occurrence and resolves waitForFinalStatus on a final status', async () => {
    await withClient(async (scheduler) => {
      assert.equal(scheduler.names.statuses, 'job_status_updates_queue');
      const occ = newOccurrenceId();
      const other = newOccurrenceId();
      const status = (o: string, s: number) => Buffer.from(JSON.stringify({ CorrelationId: o, JobId: newOccurrenceId(), WorkerId: 'w-1', Status: s, Result: null }));
      const waiting = scheduler.waitForFinalStatus(occ, { timeoutMs: 5000 });
      await scheduler.publishRaw({ routingKey: 'job_status_updates_queue', body: status(occ, 1) });
      await scheduler.publishRaw({ routingKey: 'job_status_updates_queue', body: status(other, 3) });
      await scheduler.publishRaw({ routingKey: 'job_status_updates_queue', body: Buffer.from(JSON.stringify({ OccurrenceId: occ.toUpperCase(), Status: 2 })) });
      const final = await waiting;
      assert.equal(final.body?.Status, 2);
      assert.equal(final.queue, 'job_status_updates_queue');
      assert.deepEqual(scheduler.statuses(occ).map((m) => m.body?.Status), [1, 2]);
      assert.deepEqual(scheduler.statuses(other).map((m) => m.body?.Status), [3]);
      assert.equal(scheduler.statuses().length, 3);
      assert.equal(scheduler.statuses(occ)[0]?.properties.durable, false);
      scheduler.clear();
      assert.equal(scheduler.statuses().length, 0);
    });
  });

  it('rejects waitForFinalStatus on timeout with a message naming the occurrence and what arrived', async () => {
    await withClient(async (scheduler) => {
      const occ = newOccurrenceId();
      await scheduler.publishRaw({ routingKey: 'job_status_updates_queue', body: JSON.stringify({ CorrelationId: occ, Status: 1 }) });
      await scheduler.waitUntil(() => scheduler.statuses(occ).length === 1, { what: 'the Running status' });
      const started = Date.now();
      await assert.rejects(scheduler.waitForFinalStatus(occ, { timeoutMs: 200 }), (error: Error) => {
        assert.match(error.message, new RegExp(`Timed out after 200 ms waiting for a final status of occurrence ${occ}`));
        assert.match(error.message, new RegExp(`statuses of occurrence ${occ}: \\[1\\]`));
        assert.match(error.message, /Collected: statuses 1, logs 0/);
        return true;
      });
      assert.ok(Date.now() - started >= 190);
    });
  });

  it('collects logs, registrations and heartbeats with their filters', async () => {
    await withClient(async (scheduler) => {
      const occ = newOccurrenceId();
      const log = { CorrelationId: occ, WorkerId: 'w-1', Log: { Level: 'Information', Message: 'hi' }, MessageTimestamp: new Date().toISOString() };
      await scheduler.publishRaw({ routingKey: 'worker_logs_queue', body: JSON.stringify(log) });
      await scheduler.publishRaw({ routingKey: 'worker_registration_queue', body: JSON.stringify({ WorkerId: WORKER, InstanceId: `${WORKER}-1`, JobTypes: ['SendEmailJob'] }) });
      await scheduler.publishRaw({ routingKey: 'worker_heartbeat_queue', body: JSON.stringify({ WorkerId: WORKER, InstanceId: `${WORKER}-1`, CurrentJobs: 2 }) });
      await scheduler.publishRaw({ routingKey: 'worker_heartbeat_queue', body: 'not json' });
      const hb = await scheduler.waitFor(() => scheduler.heartbeats().length === 2 && scheduler.heartbeats(WORKER)[0], { what: 'heartbeats' });
      assert.equal(hb.body?.CurrentJobs, 2);
      const garbage = scheduler.heartbeats().find((m) => m.body === undefined);
      assert.equal(garbage?.text, 'not json');
      await scheduler.waitUntil(() => scheduler.logs(occ).length === 1 && scheduler.registrations().length === 1);
      assert.equal(scheduler.logs(occ)[0]?.body?.Log?.['Message'], 'hi');
      assert.equal(scheduler.logs(newOccurrenceId()).length, 0);
      assert.deepEqual(scheduler.registrations(WORKER)[0]?.body?.JobTypes, ['SendEmailJob']);
      assert.equal(scheduler.registrations('someone-else').length, 0);
    });
  });

  it('collects dead letters: a broker dead-lettered job (x-death) and a worker DlqJobMessage', async () => {
    const pattern = `${WORKER}.doomed.*`;
    const queue = await declareJobQueue(pattern);
    await withClient(async (scheduler) => {
      const sent = await scheduler.dispatch({ jobName: 'DoomedJob', workerId: WORKER, data: { n: 1 } });
      const channel = await rabbit.acquire();
      try {
        const msg = await channel.basicGet({ queue });
        assert.ok(msg !== undefined);
        channel.basicNack({ deliveryTag: msg.deliveryTag, requeue: false });
      } finally {
        await channel.close();
      }
      const nacked = await scheduler.waitFor(() => scheduler.deadLetters(sent.occurrenceId)[0], { what: 'the dead-lettered job' });
      assert.equal(nacked.body?.['jobNameInWorker'], 'DoomedJob');
      assert.equal(nacked.properties.correlationId, sent.occurrenceId);
      assert.equal(nacked.properties.messageId, sent.jobId);
      assert.ok(Array.isArray(nacked.headers['x-death']), 'the broker adds x-death');

      const occ = newOccurrenceId();
      await scheduler.publishRaw({
        exchange: 'dlx_scheduled_jobs', routingKey: 'failed_jobs', body: JSON.stringify({ Id: sent.jobId, Status: 3, Exception: 'boom' }),
        properties: { durable: true, correlationId: occ, headers: { CorrelationId: occ, 'x-retry-count': 3, MaxRetries: 3 } },
      });
      const dlq = await scheduler.waitFor(() => scheduler.deadLetters(occ)[0], { what: 'the DlqJobMessage' });
      assert.equal(dlq.body?.['Exception'], 'boom');
      assert.equal(dlq.headers['MaxRetries'], 3);
      assert.equal(dlq.properties.durable, true);
      assert.equal(scheduler.deadLetters().length, 2);
    });
  });

  it('purges the collected queues on start unless purge is false', async () => {
    const stale = newOccurrenceId();
    const fresh = newOccurrenceId();
    const publishStale = async () => {
      await rabbit.queueDeclare({ queue: 'job_status_updates_queue', durable: true });
      const pub = rabbit.createPublisher({ confirm: true });
      await pub.send('job_status_updates_queue', Buffer.from(JSON.stringify({ CorrelationId: stale, Status: 2 })));
      await pub.close();
    };
    await publishStale();
    await withClient(async (scheduler) => {
      await scheduler.publishRaw({ routingKey: 'job_status_updates_queue', body: JSON.stringify({ CorrelationId: fresh, Status: 2 }) });
      await scheduler.waitForFinalStatus(fresh, { timeoutMs: 3000 });
      assert.equal(scheduler.statuses(stale).length, 0, 'a message from before the start was purged');
    });
    await publishStale();
    await withClient(async (scheduler) => {
      await scheduler.waitForFinalStatus(stale, { timeoutMs: 3000 });
    }, { purge: false });
  });

  it('isolates a run with queuePrefix and deletes those queues on close', async () => {
    const prefix = `spec-${process.pid}.`;
    let names: SchedulerClient['names'] | undefined;
    await withClient(async (scheduler) => {
      names = scheduler.names;
      assert.deepEqual(Object.values(scheduler.names), [
        `${prefix}job_status_updates_queue`, `${prefix}worker_logs_queue`, `${prefix}worker_registration_queue`, `${prefix}worker_heartbeat_queue`, `${prefix}failed_jobs_queue`,
        `${prefix}external_job_registration_queue`, `${prefix}external_job_occurrence_queue`,
      ]);
      const occ = newOccurrenceId();
      await scheduler.publishRaw({ routingKey: scheduler.names.statuses, body: JSON.stringify({ CorrelationId: occ, Status: 4 }) });
      assert.equal((await scheduler.waitForFinalStatus(occ, { timeoutMs: 3000 })).body?.Status, 4);
    }, { queuePrefix: prefix });
    for (const queue of Object.values(names ?? {})) {
      await assert.rejects(rabbit.queueDeclare({ queue, passive: true }), /NOT_FOUND/, `${queue} was deleted`);
    }
  });

  it('waitFor and waitUntil resolve on a condition and reject naming what they waited for', async () => {
    await withClient(async (scheduler) => {
      let flag = false;
      setTimeout(() => (flag = true), 50);
      await scheduler.waitUntil(() => flag, { timeoutMs: 2000 });
      assert.equal(await scheduler.waitFor(() => flag && 'yes'), 'yes');
      await assert.rejects(scheduler.waitUntil(() => false, { timeoutMs: 100, what: 'pigs to fly' }), /Timed out after 100 ms waiting for pigs to fly\. Collected: /);
    });
  });
});

describe('createSchedulerClient without a broker', () => {
  it('builds the same message without a broker via toDispatchMessage, with a custom routing pattern', () => {
    const m = toDispatchMessage({ jobName: 'X', workerId: 'W', routingPattern: 'custom.*.key', executeAt: new Date('2026-01-22T10:00:00.789Z') });
    assert.equal(m.routingKey, 'custom.job.key');
    assert.equal(m.body['executeAt'], '2026-01-22T10:00:00Z');
    assert.equal(m.headers['ExecuteAt'], '2026-01-22T10:00:00.0000000Z');
  });

  it('rejects start with a clear message (password hidden) when the broker is unreachable', async () => {
    await assert.rejects(
      createSchedulerClient({ url: 'amqp://guest:secret@127.0.0.1:1', connectTimeoutMs: 300 }),
      (error: Error) => {
        assert.match(error.message, /^createSchedulerClient: could not start on amqp:\/\/guest:\*\*\*@127\.0\.0\.1:1: /);
        assert.doesNotMatch(error.message, /secret/);
        return true;
      },
    );
  });
});
