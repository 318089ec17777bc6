// createExternalReporter() against the real RabbitMQ (own vhost, through a TCP proxy), with the scheduler-side
// client consuming the two external-scheduler queues: registration fields, the worker's own registration
// (Metadata.IsExternal), Starting then Completed / Failed / Vetoed, a stable CorrelationId, nothing lost and
// nothing out of order across a broker cut.
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, afterEach, before, describe, it } from 'node:test';
import { createExternalReporter, type ExternalReporter } from '../../lib/external.ts';
import { externalCorrelationId } from '../../lib/external/external-correlation-id.ts';
import { JobStatus } from '../../lib/index.ts';
import { createSchedulerClient, type SchedulerClient } from '../../lib/scheduler-client/index.ts';
import { AMQP_URL, createVhost, deleteVhost } from '../support/amqp-harness.ts';
import { copyPackage } from '../support/copy-package.ts';
import { captureLogger } from '../support/loggers.ts';
import { needs } from '../support/services.ts';
import { createTcpProxy, type TcpProxy } from '../support/tcp-proxy.ts';

const OWN_VERSION = (JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string }).version;
const root = mkdtempSync(path.join(tmpdir(), 'external-reporter-'));
after(() => rmSync(root, { recursive: true, force: true }));

describe('createExternalReporter against the real broker', needs('rabbitmq'), () => {
  const vhost = `spec-external-${process.pid}`;
  const workerId = `spec-bullmq-${process.pid}`;
  let proxy: TcpProxy;
  let scheduler: SchedulerClient;
  let reporter: ExternalReporter | undefined;
  let n = 0;
  const logger = captureLogger();
  before(async () => {
    createVhost(vhost);
    proxy = await createTcpProxy({ targetPort: 5672 });
    scheduler = await createSchedulerClient({ url: `${AMQP_URL}/${vhost}` });
  });
  afterEach(async () => {
    proxy.restore();
    await reporter?.close();
    reporter = undefined;
  });
  after(async () => {
    await scheduler.close();
    await proxy.close();
    deleteVhost(vhost);
  });

  const start = async () => {
    reporter = createExternalReporter({
      rabbitmq: { url: `amqp://guest:guest@127.0.0.1:${proxy.port}/${vhost}`, retryLowMs: 100, retryHighMs: 500 },
      workerId,
      source: 'BullMQ',
      outbox: { localStoragePath: path.join(root, `outbox-${++n}`), syncIntervalSeconds: 1 },
      heartbeatIntervalSeconds: 1,
      logger,
    });
    await reporter.start();
    return reporter;
  };
  const body = (m: { body?: unknown } | undefined) => (m?.body ?? {}) as Record<string, unknown>;

  it('registers a job with every field the scheduler reads, after the worker registration that lists it, as an external worker', async () => {
    const r = await start();
    await r.registerJob({ externalJobId: 'emails:nightly', displayName: 'Nightly digest', description: 'Sends the digest', jobTypeName: 'send-digest', cronExpression: '30 2 * * *', nextExecuteAt: Date.UTC(2026, 11, 1, 2, 30), jobData: { list: 'all' }, tags: ['email', 'nightly'] });
    const reg = await scheduler.waitFor(() => scheduler.externalRegistrations('emails:nightly')[0], { what: 'the job registration' });
    assert.deepEqual({ ...body(reg), MessageTimestamp: 'x' }, {
      ExternalJobId: 'emails:nightly',
      DisplayName: 'Nightly digest',
      Description: 'Sends the digest',
      JobTypeName: 'send-digest',
      CronExpression: '0 30 2 * * *',
      NextExecuteAt: '2026-12-01T02:30:00.000Z',
      JobData: '{"list":"all"}',
      IsActive: true,
      Source: 'BullMQ',
      WorkerId: workerId,
      Tags: 'email,nightly',
      MessageTimestamp: 'x',
    });
    assert.equal(reg.properties.durable, true, 'persistent');
    const worker = await scheduler.waitFor(() => scheduler.registrations(workerId).find((m) => (m.body?.JobTypes as string[] | undefined)?.includes('emails:nightly')), { what: 'a worker registration listing the job' });
    const metadata = JSON.parse(String(worker.body!.Metadata)) as Record<string, unknown>;
    assert.deepEqual([metadata['IsExternal'], metadata['ExternalScheduler']], [true, 'BullMQ']);
    assert.equal(worker.body!['Version'], OWN_VERSION, "the package's version");
    assert.deepEqual(worker.body!.RoutingPatterns, { 'emails:nightly': 'external.job.*' });
    await scheduler.waitUntil(() => scheduler.heartbeats(workerId).length >= 2, { what: 'heartbeats' });
  });

  it('registers the process with the Version of the milvaion-worker package it runs from', async () => {
    // A copy of lib/ under a package.json of another version: this checkout's may equal an old hard-coded default.
    const copy = copyPackage('9.8.7-spec');
    const copiedId = `${workerId}-copy`;
    try {
      const { createExternalReporter: createCopied } = (await import(copy.url('lib/external.ts'))) as { createExternalReporter: typeof createExternalReporter };
      const copied = createCopied({ rabbitmq: { url: `${AMQP_URL}/${vhost}` }, workerId: copiedId, source: 'BullMQ', outbox: { localStoragePath: path.join(root, 'outbox-copy') }, logger });
      try {
        await copied.start();
        const registration = await scheduler.waitFor(() => scheduler.registrations(copiedId)[0], { what: 'the registration of the copy' });
        assert.equal(registration.body!['Version'], '9.8.7-spec');
      } finally {
        await copied.close();
      }
    } finally {
      copy.remove();
    }
  });

  it('reports Starting then Completed on one CorrelationId derived from the occurrence, with times, duration and the result as JSON', async () => {
    const r = await start();
    const ref = { externalJobId: 'emails:nightly', externalOccurrenceId: 'job-42', jobTypeName: 'send-digest' };
    const id = await r.starting({ ...ref, startTime: 1_000_000, scheduledFireTime: 999_000 });
    assert.equal(id, externalCorrelationId('BullMQ', 'emails:nightly', 'job-42'));
    assert.equal(id, r.correlationIdOf(ref), 'the same id every time');
    assert.match(id, /^[0-9a-f]{8}-[0-9a-f]{4}-5[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    assert.equal(await r.finished({ ...ref, outcome: 'Completed', startTime: 1_000_000, endTime: 1_002_500, result: { sent: 12 } }), id);
    await scheduler.waitUntil(() => scheduler.externalOccurrences(id).length === 2, { what: 'both events' });
    const [starting, completed] = scheduler.externalOccurrences(id).map(body);
    assert.deepEqual([starting!['EventType'], starting!['Status'], starting!['ExternalOccurrenceId'], starting!['StartTime'], starting!['ScheduledFireTime'], starting!['EndTime']], [0, JobStatus.Running, 'job-42', '1970-01-01T00:16:40.000Z', '1970-01-01T00:16:39.000Z', null]);
    assert.deepEqual([completed!['EventType'], completed!['Status'], completed!['DurationMs'], completed!['Result'], completed!['Exception'], completed!['EndTime']], [1, JobStatus.Completed, 2500, '{"sent":12}', null, '1970-01-01T00:16:42.500Z']);
    assert.equal(completed!['WorkerId'], workerId);
    assert.equal(completed!['Source'], 'BullMQ');
  });

  it('reports Failed with the exception, and a veto as a Starting then Vetoed with Skipped', async () => {
    const r = await start();
    const failed = { externalJobId: 'emails:nightly', externalOccurrenceId: 'job-43', jobTypeName: 'send-digest' };
    await r.starting(failed);
    const id = await r.finished({ ...failed, outcome: 'Failed', exception: new TypeError('smtp down') });
    await scheduler.waitUntil(() => scheduler.externalOccurrences(id).length === 2, { what: 'the failure' });
    const end = body(scheduler.externalOccurrences(id)[1]);
    assert.deepEqual([end['EventType'], end['Status'], end['Result']], [1, JobStatus.Failed, null]);
    assert.match(String(end['Exception']), /TypeError.*smtp down/s);
    const vetoed = await r.finished({ externalJobId: 'emails:nightly', externalOccurrenceId: 'job-44', jobTypeName: 'send-digest', outcome: 'Skipped', result: 'paused' });
    await scheduler.waitUntil(() => scheduler.externalOccurrences(vetoed).length === 2, { what: 'the veto' });
    assert.deepEqual(scheduler.externalOccurrences(vetoed).map((m) => [body(m)['EventType'], body(m)['Status']]), [[0, JobStatus.Running], [2, JobStatus.Skipped]]);
  });

  it('loses nothing across a broker cut and keeps each Starting before its end', async () => {
    const r = await start();
    proxy.cut();
    const ids: string[] = [];
    for (let i = 0; i < 20; i++) {
      const ref = { externalJobId: 'emails:nightly', externalOccurrenceId: `cut-${i}`, jobTypeName: 'send-digest' };
      ids.push(await r.starting(ref));
      await r.finished({ ...ref, outcome: i % 2 === 0 ? 'Completed' : 'Failed', exception: i % 2 === 0 ? undefined : new Error(`failure ${i}`) });
    }
    await new Promise((resolve) => setTimeout(resolve, 1500));
    assert.equal(ids.filter((id) => scheduler.externalOccurrences(id).length > 0).length, 0, 'nothing arrives while the broker is cut');
    proxy.restore();
    await scheduler.waitUntil(() => ids.every((id) => scheduler.externalOccurrences(id).length >= 2), { what: 'every event after the cut', timeoutMs: 20_000 });
    for (const id of ids) {
      const events = scheduler.externalOccurrences(id).map((m) => body(m)['EventType']);
      assert.deepEqual([...new Set(events)], [0, 1], `${id}: Starting first, then the end`);
    }
    const messageIds = scheduler.externalOccurrences().map((m) => m.properties.messageId);
    assert.equal(new Set(messageIds).size, messageIds.length, 'each message once (a resend would carry the same message id)');
  });
});
