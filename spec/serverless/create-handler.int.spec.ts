import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, it } from 'node:test';
import * as v from 'valibot';
import { defineJob, JobStatus, PermanentJobError } from '../../lib/index.ts';
import { createHandler, type HandlerResult } from '../../lib/serverless.ts';
import { type AmazonMqEvent } from '../../lib/serverless/handler-event.ts';
import { type AmazonMqResult } from '../../lib/serverless/create-handler.ts';
import { TSX_IMPORT } from '../support/tsx-loader.ts';

const JOB_ID = '0f8fad5b-d9cb-469f-a165-70867728950e';
const OCC = '7c9e6679-7425-40de-944b-e07fc1f90ae7';
let flakyCalls = 0;
const jobs = [
  defineJob({ name: 'SumJob', data: v.object({ a: v.number(), b: v.number() }), run: (d, ctx) => (ctx.log.info('adding'), d.a + d.b) }),
  defineJob({ name: 'FlakyJob', maxRetries: 2, baseRetryDelaySeconds: 0, run: () => (++flakyCalls < 2 ? Promise.reject(new Error('once')) : 'ok') }),
  defineJob({ name: 'BrokenJob', run: () => { throw new PermanentJobError('never'); } }),
  defineJob({ name: 'WaitJob', run: (_d, ctx) => new Promise((_r, reject) => ctx.signal.addEventListener('abort', () => reject(ctx.signal.reason))) }),
];

describe('createHandler', () => {
  const handle = createHandler({ jobs });

  it('runs the scheduler JSON body and returns Completed with the result string and logs', async () => {
    const result: HandlerResult = await handle(JSON.stringify({ id: JOB_ID, jobNameInWorker: 'SumJob', jobData: '{"a":2,"b":3}' }));
    assert.equal(result.status, JobStatus.Completed);
    assert.equal(result.statusName, 'Completed');
    assert.equal(result.result, '5');
    assert.deepEqual(result.logs.map((l) => l.message), ['adding']);
    assert.match(result.occurrenceId!, /^[0-9a-f-]{36}$/);
  });

  it('takes a wrapped message with headers and keeps its occurrence id', async () => {
    const result = await handle({ body: { id: JOB_ID, jobNameInWorker: 'SumJob', jobData: '{"a":1,"b":1}' }, headers: { CorrelationId: OCC } });
    assert.equal(result.occurrenceId, OCC);
    assert.equal(result.result, '2');
  });

  it('retries in-process and reports permanent failures and invalid messages', async () => {
    const flaky = await handle({ id: JOB_ID, jobNameInWorker: 'FlakyJob' });
    assert.equal(flaky.result, 'ok');
    assert.equal(flakyCalls, 2);
    const broken = await handle({ id: JOB_ID, jobNameInWorker: 'BrokenJob' });
    assert.equal(broken.status, JobStatus.Failed);
    assert.match(broken.exception!, /PermanentJobError/);
    const invalid = await handle('not json');
    assert.equal(invalid.status, JobStatus.Failed);
    assert.match(invalid.exception!, /not JSON/);
  });

  it('stops the job when the invocation signal aborts (the host is out of time)', async () => {
    const controller = new AbortController();
    const pending = handle({ id: JOB_ID, jobNameInWorker: 'WaitJob' }, { signal: controller.signal });
    setTimeout(() => controller.abort(), 5);
    const result = await pending;
    assert.equal(result.status, JobStatus.Cancelled);
  });
});

/** AWS's encoding of an AMQP long-string header value (the Java client's bytes, signed). */
const awsBytes = (text: string) => ({ bytes: [...Buffer.from(text, 'utf8')].map((b) => (b > 127 ? b - 256 : b)) });
const base64 = (body: unknown) => Buffer.from(JSON.stringify(body)).toString('base64');
const OCC2 = '3f2504e0-4f89-41d3-9a0c-0305e82c3301';

describe('createHandler: the job message shapes', () => {
  const handle = createHandler({ jobs });
  const body = { id: JOB_ID, jobNameInWorker: 'SumJob', jobData: '{"a":4,"b":5}' };

  it('takes the body as bytes, as an object, and as { body, headers } with the body in bytes', async () => {
    assert.equal((await handle(new TextEncoder().encode(JSON.stringify(body)))).result, '9');
    assert.equal((await handle(body)).result, '9');
    const wrapped = await handle({ body: Buffer.from(JSON.stringify(body)), headers: { CorrelationId: Buffer.from(OCC) } });
    assert.equal(wrapped.result, '9');
    assert.equal(wrapped.occurrenceId, OCC);
    assert.equal(wrapped.published, undefined, 'no reporter, nothing published');
  });

  it('refuses { jobName, jobData } naming the fields a job message needs and the ones it got', async () => {
    const refused = await handle({ jobName: 'SumJob', jobData: '{"a":1,"b":2}' });
    assert.equal(refused.status, JobStatus.Failed);
    assert.equal(refused.occurrenceId, undefined);
    assert.match(refused.exception!, /a job message needs id \(the scheduled job's UUID\) and jobNameInWorker \(the job's name\), with jobData \(its data as JSON\) optional; got jobName, jobData$/);
    const noName = await handle({ id: JOB_ID, jobData: '{}' });
    assert.match(noName.exception!, /needs id .* and jobNameInWorker .*; got id, jobData/);
  });

  it('refuses a body that is not a JSON object, and a wrong field, naming it', async () => {
    assert.match((await handle('[1,2]')).exception!, /the body must be a JSON object, got an array/);
    assert.match((await handle({ body: '' })).exception!, /the body is empty/);
    assert.match((await handle({ id: 'not-a-uuid', jobNameInWorker: 'SumJob' })).exception!, /id: expected a UUID/);
  });
});

describe('createHandler: Amazon MQ for RabbitMQ events', () => {
  const handle = createHandler({ jobs });

  it('runs the one message of an event: base64 data, long-string headers as bytes, the queue and vhost from the key', async () => {
    const event: AmazonMqEvent = {
      eventSource: 'aws:rmq',
      eventSourceArn: 'arn:aws:mq:us-west-2:112556298976:broker:pizzaBroker:b-9bcfa592-423a-4942-879d-eb284b418fc8',
      rmqMessagesByQueue: {
        'scheduled_jobs_queue.spec.sum.wildcard::/': [
          {
            basicProperties: { contentType: 'application/json', correlationId: null, headers: { CorrelationId: awsBytes(OCC), 'x-retry-count': 0, JobType: awsBytes('SumJob') }, deliveryMode: 2 },
            redelivered: false,
            data: base64({ id: JOB_ID, jobNameInWorker: 'SumJob', jobData: '{"a":20,"b":22}' }),
          },
        ],
      },
    };
    const results: AmazonMqResult[] = await handle(event);
    assert.equal(results.length, 1);
    assert.equal(results[0]!.result, '42');
    assert.equal(results[0]!.occurrenceId, OCC);
    assert.equal(results[0]!.queue, 'scheduled_jobs_queue.spec.sum.wildcard');
    assert.equal(results[0]!.virtualHost, '/');
  });

  it('runs two messages of two queues in the event order, one result each; the correlation id may come from basicProperties', async () => {
    const results = await handle({
      eventSource: 'aws:rmq',
      rmqMessagesByQueue: {
        'jobs-a::tenant-1': [{ basicProperties: { correlationId: OCC }, data: base64({ id: JOB_ID, jobNameInWorker: 'SumJob', jobData: '{"a":1,"b":1}' }) }],
        'jobs-b::tenant-1': [{ basicProperties: { headers: { OccurrenceId: awsBytes(OCC2) } }, redelivered: true, data: base64({ Id: JOB_ID, JobNameInWorker: 'SumJob', JobData: '{"a":2,"b":2}' }) }],
      },
    } satisfies AmazonMqEvent);
    assert.deepEqual(results.map((r) => [r.queue, r.virtualHost, r.occurrenceId, r.result]), [
      ['jobs-a', 'tenant-1', OCC, '2'],
      ['jobs-b', 'tenant-1', OCC2, '4'],
    ]);
    // A redelivered message is run again and says so in its log, as the worker does.
    assert.ok(results[1]!.logs.some((l) => l.category === 'Redelivery'));
  });

  it('decodes signed bytes, nested tables and arrays of headers (x-death) and keeps numbers', async () => {
    const seen: Record<string, unknown>[] = [];
    const echo = createHandler({ jobs: [defineJob({ name: 'EchoJob', run: () => 'ok' })], use: [async (ctx, next) => (seen.push({ ...ctx.envelope.headers }), next())] });
    await echo({
      eventSource: 'aws:rmq',
      rmqMessagesByQueue: {
        'q::/': [
          {
            basicProperties: { headers: { CorrelationId: awsBytes(OCC), Note: awsBytes('café'), 'x-retry-count': 2, 'x-death': [{ queue: awsBytes('q'), count: 1 }], Raw: { bytes: [-1, -2] } } },
            data: base64({ id: JOB_ID, jobNameInWorker: 'EchoJob' }),
          },
        ],
      },
    });
    assert.equal(seen[0]!['Note'], 'café');
    assert.equal(seen[0]!['x-retry-count'], 2);
    assert.deepEqual(seen[0]!['x-death'], [{ queue: 'q', count: 1 }]);
    assert.deepEqual(seen[0]!['Raw'], Buffer.from([0xff, 0xfe]), 'bytes that are not UTF-8 stay bytes');
  });

  it('refuses a message without data, with data that is not base64, or without an occurrence id, and runs the others', async () => {
    const results = await handle({
      eventSource: 'aws:rmq',
      rmqMessagesByQueue: {
        'q::/': [
          { basicProperties: {}, redelivered: false } as unknown as AmazonMqEvent['rmqMessagesByQueue'][string][number],
          { data: '%%% not base64 %%%' },
          { data: base64({ id: JOB_ID, jobNameInWorker: 'SumJob' }) },
          { basicProperties: { correlationId: OCC }, data: base64({ id: JOB_ID, jobNameInWorker: 'SumJob', jobData: '{"a":1,"b":2}' }) },
        ],
      },
    });
    assert.match(results[0]!.exception!, /a message needs data \(the base64 body\), with basicProperties and redelivered optional; got basicProperties, redelivered/);
    assert.match(results[1]!.exception!, /data is not base64/);
    assert.match(results[2]!.exception!, /occurrence id: no UUID in the OccurrenceId or CorrelationId header nor in the correlation_id property/);
    assert.deepEqual(results.map((r) => r.statusName), ['Failed', 'Failed', 'Failed', 'Completed']);
  });

  it('refuses an event that is not an Amazon MQ for RabbitMQ event, naming what it needs', async () => {
    await assert.rejects(handle({ eventSource: 'aws:amq', messages: [] } as unknown as AmazonMqEvent), /ActiveMQ event \(eventSource aws:amq\).*must be an Amazon MQ for RabbitMQ broker \(aws:rmq\)/);
    await assert.rejects(handle({ eventSource: 'aws:rmq' } as unknown as AmazonMqEvent), /it needs rmqMessagesByQueue, an object of "<queue>::<vhost>" keys each with a list of messages; got nothing/);
    await assert.rejects(handle({ eventSource: 'aws:rmq', rmqMessagesByQueue: { 'no-vhost': [] } }), /the key "no-vhost" of rmqMessagesByQueue is not "<queue>::<vhost>"/);
    await assert.rejects(handle({ eventSource: 'aws:rmq', rmqMessagesByQueue: { 'q::/': {} } } as unknown as AmazonMqEvent), /rmqMessagesByQueue\["q::\/"\] must be a list of messages; got an object with no fields/);
  });
});

describe('createHandler: its entry, milvaion-worker/serverless', () => {
  it('runs an Amazon MQ event without loading a broker, store or Redis client (the reporter is milvaion-worker/amqp\'s)', () => {
    const lib = fileURLToPath(new URL('../../lib/', import.meta.url));
    const script = `
import { createRequire } from 'node:module';
const has = (name) => Object.keys(createRequire(import.meta.url).cache).some((file) => file.includes('/node_modules/' + name + '/'));
const { defineJob } = await import(${JSON.stringify(`${lib}index.ts`)});
const { createHandler } = await import(${JSON.stringify(`${lib}serverless.ts`)});
const handle = createHandler({ jobs: [defineJob({ name: 'EchoJob', run: () => 'ok' })] });
const data = Buffer.from(JSON.stringify({ id: '${JOB_ID}', jobNameInWorker: 'EchoJob' })).toString('base64');
const [result] = await handle({ eventSource: 'aws:rmq', rmqMessagesByQueue: { 'q::/': [{ basicProperties: { correlationId: '${OCC}' }, data }] } });
console.log(JSON.stringify({ status: result.statusName, 'rabbitmq-client': has('rabbitmq-client'), lmdb: has('lmdb'), redis: has('redis') }));
await import(${JSON.stringify(`${lib}amqp.ts`)});
console.log(JSON.stringify({ 'rabbitmq-client': has('rabbitmq-client') }));
`;
    const { NODE_TEST_CONTEXT: _ignored, ...env } = process.env;
    const run = spawnSync(process.execPath, [...TSX_IMPORT, '--input-type=module', '-e', script], { env, encoding: 'utf8', timeout: 60_000 });
    assert.equal(run.status, 0, run.stderr);
    const [main, amqp] = run.stdout.trim().split('\n');
    assert.deepEqual(JSON.parse(main!), { status: 'Completed', 'rabbitmq-client': false, lmdb: false, redis: false });
    assert.deepEqual(JSON.parse(amqp!), { 'rabbitmq-client': true }, 'milvaion-worker/amqp (the reporter) loads it, so the check above can see it');
  });
});
