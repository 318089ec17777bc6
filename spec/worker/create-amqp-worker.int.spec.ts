// Integration specs against the real RabbitMQ on 127.0.0.1: the worker speaks Milvaion's wire protocol.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { after, before, describe, it } from 'node:test';
import * as v from 'valibot';
import { defineJob, JobStatus, PermanentJobError } from '../../lib/index.ts';
import { jobQueueArguments, MilvaionNames, toJobQueueName, toRoutingPattern, type AmqpWorker, type createAmqpWorker } from '../../lib/amqp.ts';
import { createAmqpHarness, type AmqpHarness } from '../support/amqp-harness.ts';
import { copyPackage } from '../support/copy-package.ts';
import { needs } from '../support/services.ts';

const OWN_VERSION = (JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string }).version;

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const runs = new Map<string, number>();
const count = (id: string) => runs.set(id, (runs.get(id) ?? 0) + 1).get(id)!;
let release: (() => void) | undefined;

const jobs = [
  defineJob({ name: 'EchoJob', data: v.object({ text: v.string() }), run: (d, ctx) => (ctx.log.info(`echo ${d.text}`, { length: d.text.length }), { echoed: d.text }) }),
  defineJob({
    name: 'FlakyJob',
    maxRetries: 3,
    baseRetryDelaySeconds: 0.3,
    run: (_d, ctx) => {
      if (count(ctx.occurrence.id) < 3) throw new Error(`flaky attempt ${ctx.occurrence.retryCount}`);
      return `ok after ${ctx.occurrence.retryCount} retries`;
    },
  }),
  defineJob({ name: 'AlwaysFailsJob', maxRetries: 1, baseRetryDelaySeconds: 0.1, run: (_d, ctx) => { count(ctx.occurrence.id); throw new Error('always'); } }),
  defineJob({ name: 'PermanentJob', maxRetries: 3, run: (_d, ctx) => { count(ctx.occurrence.id); throw new PermanentJobError('cannot work'); } }),
  defineJob({ name: 'BlockingJob', run: (_d, ctx) => (count(ctx.occurrence.id), new Promise<string>((resolve) => (release = () => resolve('released')))) }),
];

describe('AMQP worker against the real broker', needs('rabbitmq'), () => {
  let h: AmqpHarness;
  let worker: AmqpWorker;
  before(async () => {
    h = await createAmqpHarness('worker');
    worker = await h.startWorker({ jobs });
  });
  after(async () => h.close());

  it('declares the .NET topology: exact job-queue arguments, exchanges and the DLQ binding', async () => {
    const queue = toJobQueueName(toRoutingPattern(h.workerId, 'EchoJob'));
    assert.equal(queue, `scheduled_jobs_queue.${h.workerId}.echo.wildcard`);
    // The same arguments are accepted; anything else is a 406 from the broker.
    await h.admin.queueDeclare({ queue, durable: true, arguments: jobQueueArguments('Classic') });
    await assert.rejects(h.admin.queueDeclare({ queue, durable: true }), /PRECONDITION_FAILED/);
    await assert.rejects(h.admin.queueDeclare({ queue, durable: true, arguments: { ...jobQueueArguments('Classic'), 'x-queue-type': 'quorum' } }), /PRECONDITION_FAILED/);
    await h.admin.exchangeDeclare({ exchange: MilvaionNames.jobsExchange, type: 'topic', durable: true });
    await h.admin.exchangeDeclare({ exchange: MilvaionNames.deadLetterExchange, type: 'direct', durable: true });
    for (const q of [MilvaionNames.failedOccurrencesQueue, MilvaionNames.statusUpdatesQueue, MilvaionNames.workerLogsQueue]) await h.admin.queueDeclare({ queue: q, durable: true });
  });

  it('reports Running with StartTime, the user log, then Completed with the result string', async () => {
    const { occurrenceId, jobId } = await h.scheduler.dispatch({ jobName: 'EchoJob', workerId: h.workerId, data: { text: 'hi' } });
    const final = await h.scheduler.waitForFinalStatus(occurrenceId, { timeoutMs: 10_000 });
    const statuses = h.scheduler.statuses(occurrenceId).map((m) => m.body!);
    assert.deepEqual(statuses.map((s) => s.Status), [JobStatus.Running, JobStatus.Completed]);
    const running = statuses[0]!;
    assert.match(String(running['StartTime']), /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
    assert.equal(running['EndTime'], null);
    assert.equal(final.body!.Result, '{"echoed":"hi"}');
    for (const s of statuses) {
      assert.equal(s.CorrelationId, occurrenceId);
      assert.equal(s.OccurrenceId, occurrenceId);
      assert.equal(s.JobId, jobId);
      assert.equal(s.WorkerId, h.workerId);
      assert.equal(s['InstanceId'], worker.identity.instanceId);
    }
    await h.scheduler.waitUntil(() => h.scheduler.logs(occurrenceId).length >= 1, { what: 'the user log' });
    const log = h.scheduler.logs(occurrenceId)[0]!.body!;
    assert.deepEqual(log.Log, { Timestamp: (log.Log as Record<string, unknown>)['Timestamp'], Level: 'Information', Message: 'echo hi', Data: { length: 2 }, Category: 'UserCode', ExceptionType: null });
  });

  it('retries through the delay queue with base × 2^retryCount, then completes; no final status in between', async () => {
    const { occurrenceId } = await h.scheduler.dispatch({ jobName: 'FlakyJob', workerId: h.workerId });
    const final = await h.scheduler.waitForFinalStatus(occurrenceId, { timeoutMs: 15_000 });
    assert.equal(final.body!.Status, JobStatus.Completed);
    assert.equal(final.body!.Result, 'ok after 2 retries');
    const starts = h.scheduler.statuses(occurrenceId).filter((m) => m.body!.Status === JobStatus.Running).map((m) => m.receivedAt);
    assert.equal(starts.length, 3);
    assert.ok(starts[1]! - starts[0]! >= 250, `first retry after ${starts[1]! - starts[0]!} ms, expected ≈300`);
    assert.ok(starts[2]! - starts[1]! >= 550, `second retry after ${starts[2]! - starts[1]!} ms, expected ≈600`);
    await h.scheduler.waitUntil(() => h.scheduler.logs(occurrenceId).filter((l) => (l.body!.Log as Record<string, unknown>)['Category'] === 'Retry').length === 2, { what: 'two Retry logs' });
    const retry = h.scheduler.logs(occurrenceId).find((l) => (l.body!.Log as Record<string, unknown>)['Category'] === 'Retry')!.body!.Log as Record<string, Record<string, unknown>>;
    assert.deepEqual(Object.keys(retry['Data']!).sort(), ['DelaySeconds', 'MaxRetries', 'NextRetryTime', 'RetryAttempt']);
    assert.equal(retry['Data']!['RetryAttempt'], 1);
    assert.equal(retry['Data']!['DelaySeconds'], 0.3);
  });

  it('encodes x-retry-count and MaxRetries as AMQP int32 on the wire (type byte I)', async () => {
    const seen: Buffer[] = [];
    h.proxy.onData = (direction, chunk) => {
      if (direction === 'upstream') seen.push(Buffer.from(chunk));
    };
    const { occurrenceId } = await h.scheduler.dispatch({ jobName: 'FlakyJob', workerId: h.workerId });
    await h.scheduler.waitForFinalStatus(occurrenceId, { timeoutMs: 15_000 });
    h.proxy.onData = undefined;
    const wire = Buffer.concat(seen);
    const typeAfter = (key: string) => {
      const k = Buffer.from(key);
      const at = wire.indexOf(Buffer.concat([Buffer.from([k.length]), k]));
      assert.ok(at >= 0, `${key} was not published`);
      return String.fromCharCode(wire[at + 1 + k.length]!);
    };
    assert.equal(typeAfter('x-retry-count'), 'I');
    assert.equal(typeAfter('MaxRetries'), 'I');
  });

  it('after the last retry: exactly one Failed status ("Max retries (N) exceeded") and exactly one DLQ message', async () => {
    const { occurrenceId, jobId } = await h.scheduler.dispatch({ jobName: 'AlwaysFailsJob', workerId: h.workerId, data: { a: 1 } });
    const final = await h.scheduler.waitForFinalStatus(occurrenceId, { timeoutMs: 10_000 });
    assert.equal(final.body!.Status, JobStatus.Failed);
    assert.match(String(final.body!.Exception), /^Max retries \(1\) exceeded\. Original exception: Type: Error\nMessage: always/);
    await h.scheduler.waitUntil(() => h.scheduler.deadLetters(occurrenceId).length >= 1, { what: 'the DLQ message' });
    await sleep(300);
    const dlq = h.scheduler.deadLetters(occurrenceId);
    assert.equal(dlq.length, 1);
    assert.equal(runs.get(occurrenceId), 2);
    const body = dlq[0]!.body as Record<string, unknown>;
    assert.equal(body['Id'], jobId);
    assert.equal(body['JobNameInWorker'], 'AlwaysFailsJob');
    assert.equal(body['JobData'], '{"a":1}');
    assert.equal(body['Status'], 3);
    assert.equal(dlq[0]!.headers['x-retry-count'], 1);
    assert.equal(dlq[0]!.headers['MaxRetries'], 1);
    assert.equal(dlq[0]!.headers['CorrelationId'], occurrenceId);
    assert.equal(h.scheduler.statuses(occurrenceId).filter((s) => s.body!.Status !== JobStatus.Running).length, 1);
  });

  it('a permanent error is not retried and goes to the DLQ with MaxRetries 0', async () => {
    const { occurrenceId } = await h.scheduler.dispatch({ jobName: 'PermanentJob', workerId: h.workerId });
    const final = await h.scheduler.waitForFinalStatus(occurrenceId, { timeoutMs: 10_000 });
    assert.equal(final.body!.Status, JobStatus.Failed);
    await h.scheduler.waitUntil(() => h.scheduler.deadLetters(occurrenceId).length >= 1, { what: 'the DLQ message' });
    const dlq = h.scheduler.deadLetters(occurrenceId)[0]!;
    assert.equal(dlq.headers['MaxRetries'], 0);
    assert.equal(dlq.headers['x-retry-count'], 0);
    assert.match(String((dlq.body as Record<string, unknown>)['Exception']), /^\[PERMANENT FAILURE\] Type: PermanentJobError/);
    assert.equal(runs.get(occurrenceId), 1);
  });

  it('an unknown job type reports Failed and is dead-lettered', async () => {
    const pattern = toRoutingPattern(h.workerId, 'EchoJob');
    const { occurrenceId } = await h.scheduler.dispatch({ jobName: 'GhostJob', workerId: h.workerId, routingPattern: pattern });
    const final = await h.scheduler.waitForFinalStatus(occurrenceId, { timeoutMs: 10_000 });
    assert.equal(final.body!.Status, JobStatus.Failed);
    assert.equal(final.body!.Exception, 'No job registered for type: GhostJob');
    await h.scheduler.waitUntil(() => h.scheduler.deadLetters(occurrenceId).length === 1, { what: 'the DLQ message' });
  });

  it('dead-letters a malformed body with its reason, and keeps working', async () => {
    const routingKey = `${h.workerId}.echo.job`;
    const marker = `garbage-${Date.now()}`;
    await h.scheduler.publishRaw({ exchange: MilvaionNames.jobsExchange, routingKey, body: `{"not json ${marker}` });
    await h.scheduler.waitUntil(() => h.scheduler.deadLetters().some((m) => m.text.includes(marker)), { what: 'the dead-lettered garbage' });
    const dead = h.scheduler.deadLetters().find((m) => m.text.includes(marker))!;
    assert.match(String(dead.headers['x-dead-letter-reason']), /not JSON/);
    const { occurrenceId } = await h.scheduler.dispatch({ jobName: 'EchoJob', workerId: h.workerId, data: { text: 'still alive' } });
    assert.equal((await h.scheduler.waitForFinalStatus(occurrenceId, { timeoutMs: 10_000 })).body!.Status, JobStatus.Completed);
  });

  it('turns invalid job data into a permanent failure that lists the field', async () => {
    const { occurrenceId } = await h.scheduler.dispatch({ jobName: 'EchoJob', workerId: h.workerId, data: { text: 42 } });
    const final = await h.scheduler.waitForFinalStatus(occurrenceId, { timeoutMs: 10_000 });
    assert.equal(final.body!.Status, JobStatus.Failed);
    assert.match(String(final.body!.Exception), /text: Invalid type/);
    await h.scheduler.waitUntil(() => h.scheduler.deadLetters(occurrenceId).length === 1, { what: 'the DLQ message' });
  });

  it('registers with every job type and sends heartbeats with CurrentJobs', async () => {
    await h.scheduler.waitUntil(() => h.scheduler.registrations(h.workerId).length >= 1 && h.scheduler.heartbeats(h.workerId).length >= 2, { what: 'registration and heartbeats', timeoutMs: 5000 });
    const reg = h.scheduler.registrations(h.workerId).at(-1)!.body!;
    assert.deepEqual([...reg.JobTypes!].sort(), jobs.map((j) => j.name).sort());
    assert.equal(reg.RoutingPatterns!['EchoJob'], toRoutingPattern(h.workerId, 'EchoJob'));
    assert.equal(reg.InstanceId, worker.identity.instanceId);
    assert.equal(reg['Version'], OWN_VERSION, "the package's version");
    const metadata = JSON.parse(String(reg['Metadata']));
    assert.equal(metadata.HeartbeatInterval, 1);
    assert.equal(metadata.JobConfigs.length, jobs.length);
    assert.ok(JSON.parse(String((reg['JobDataDefinitions'] as Record<string, string>)['EchoJob'])).properties.text);
    const beat = h.scheduler.heartbeats(h.workerId).at(-1)!.body!;
    assert.equal(beat.InstanceId, worker.identity.instanceId);
    assert.equal(typeof beat.CurrentJobs, 'number');
  });

  it("registers with the Version of the milvaion-worker package it runs from, unless options.version names one", async () => {
    // A copy of lib/ under a package.json of another version: this checkout's may equal an old hard-coded default.
    const copy = copyPackage('9.8.7-spec');
    try {
      const { createAmqpWorker: createCopied } = (await import(copy.url('lib/amqp.ts'))) as { createAmqpWorker: typeof createAmqpWorker };
      const versionOf = async (suffix: string, version?: string) => {
        // Its own WorkerId: the suite's job queues stay with the suite's worker.
        const workerId = `${h.workerId}-${suffix}`;
        const copied = createCopied({ workerId, rabbitmq: { url: h.url }, jobs: [jobs[0]!], ...(version === undefined ? {} : { version }) });
        try {
          await copied.start();
          return (await h.scheduler.waitFor(() => h.scheduler.registrations(workerId)[0], { what: `the registration of ${workerId}` })).body!['Version'];
        } finally {
          await copied.close({ graceMs: 100 });
        }
      };
      assert.equal(await versionOf('copy'), '9.8.7-spec');
      assert.equal(await versionOf('custom', '2.0.0-custom'), '2.0.0-custom');
    } finally {
      copy.remove();
    }
  });

  it('a lost ack: the broker redelivers, the worker notices and does not run the job again', async () => {
    const { occurrenceId } = await h.scheduler.dispatch({ jobName: 'BlockingJob', workerId: h.workerId });
    await h.scheduler.waitUntil(() => runs.get(occurrenceId) === 1, { what: 'the job to start' });
    h.proxy.cut(); // the ack of this delivery cannot be sent any more
    release?.();
    await sleep(200);
    h.proxy.restore();
    const final = await h.scheduler.waitForFinalStatus(occurrenceId, { timeoutMs: 15_000 });
    assert.equal(final.body!.Result, 'released');
    // The redelivered copy arrives either while the run still reports (it follows the run) or after it
    // finished (acked as finished); in both cases it is acked without a second run.
    await h.scheduler.waitUntil(
      () => h.logger.texts().some((l) => l.includes(`${occurrenceId} already finished`) || l.includes(`${occurrenceId} was redelivered while it still runs here`)),
      { what: 'the redelivered copy to be noticed', timeoutMs: 15_000 },
    );
    await sleep(300);
    assert.equal(runs.get(occurrenceId), 1);
    assert.equal(h.scheduler.statuses(occurrenceId).filter((m) => m.body!.Status !== JobStatus.Running).length, 1);
  });

  it('an occurrence this worker already finished is acked without running again', async () => {
    const first = await h.scheduler.dispatch({ jobName: 'FlakyJob', workerId: h.workerId });
    await h.scheduler.waitForFinalStatus(first.occurrenceId, { timeoutMs: 15_000 });
    const before = runs.get(first.occurrenceId);
    const said = (text: string) => h.logger.texts().some((l) => l.includes(`${first.occurrenceId} ${text}`));
    const duplicate = () => h.scheduler.dispatch({ jobName: 'FlakyJob', workerId: h.workerId, occurrenceId: first.occurrenceId });
    await duplicate();
    // The collector can see the final status before the worker has its publish confirm (the broker delivers
    // before it fsyncs): a duplicate that quick finds the run still in progress and follows it. Once that
    // run is over, a duplicate finds the occurrence finished.
    // Every delivery of the duplicate to this worker logs one of these before any await (create-amqp-source.ts,
    // handle()); if neither comes, say what the worker did say about the occurrence and how often it ran.
    await h.scheduler
      .waitUntil(() => said('already finished') || said('was redelivered while it still runs here'), { what: 'the duplicate to be noticed' })
      .catch((error: unknown) => {
        const told = h.logger.texts().filter((l) => l.includes(first.occurrenceId));
        throw new Error(`${error instanceof Error ? error.message : String(error)} Runs: ${runs.get(first.occurrenceId)}; the worker said: ${told.join(' | ')}`, { cause: error });
      });
    if (!said('already finished')) {
      await duplicate();
      await h.scheduler.waitUntil(() => said('already finished'), { what: 'a later duplicate to be acked as finished' });
    }
    await sleep(300);
    assert.equal(runs.get(first.occurrenceId), before);
    assert.equal(h.scheduler.statuses(first.occurrenceId).filter((m) => m.body!.Status !== JobStatus.Running).length, 1);
  });

  it('reconnects after the connection is cut: re-registers and runs new jobs', async () => {
    const registrations = h.scheduler.registrations(h.workerId).length;
    h.proxy.cut();
    await sleep(300);
    h.proxy.restore();
    await h.scheduler.waitUntil(() => h.scheduler.registrations(h.workerId).length > registrations, { what: 'a registration after reconnect', timeoutMs: 10_000 });
    const { occurrenceId } = await h.scheduler.dispatch({ jobName: 'EchoJob', workerId: h.workerId, data: { text: 'after cut' } });
    assert.equal((await h.scheduler.waitForFinalStatus(occurrenceId, { timeoutMs: 15_000 })).body!.Status, JobStatus.Completed);
  });

  it('keeps taking new jobs across a reconnect while a long job runs, and a redelivered copy of that job follows its run', async () => {
    runs.clear();
    const { occurrenceId } = await h.scheduler.dispatch({ jobName: 'BlockingJob', workerId: h.workerId });
    await h.scheduler.waitUntil(() => runs.get(occurrenceId) === 1, { what: 'the long job to start' });
    h.proxy.cut(); // the broker requeues the unacked delivery; it comes back with redelivered = true
    await sleep(200);
    h.proxy.restore();
    await h.scheduler.waitUntil(() => h.logger.texts().some((l) => l.includes(`${occurrenceId} was redelivered while it still runs here`)), { what: 'the redelivered copy', timeoutMs: 15_000 });
    // One count of work in flight: the copy that follows the run is not a second job, in the health or the heartbeat.
    assert.equal(worker.health().runningJobs, 1);
    const since = Date.now();
    await h.scheduler.waitUntil(() => h.scheduler.heartbeats(h.workerId).some((m) => m.receivedAt > since && m.body!.CurrentJobs === 1), { what: 'a heartbeat counting the long job once', timeoutMs: 5000 });
    const other = await h.scheduler.dispatch({ jobName: 'EchoJob', workerId: h.workerId, data: { text: 'during the long job' } });
    assert.equal((await h.scheduler.waitForFinalStatus(other.occurrenceId, { timeoutMs: 10_000 })).body!.Status, JobStatus.Completed);
    release?.();
    const final = await h.scheduler.waitForFinalStatus(occurrenceId, { timeoutMs: 10_000 });
    assert.equal(final.body!.Result, 'released');
    assert.equal(runs.get(occurrenceId), 1);
    await h.scheduler.waitUntil(() => worker.health().runningJobs === 0, { what: 'the count back to 0' });
  });

  it('an instance that never saw an occurrence runs its redelivery again, with a Redelivery warning log', async () => {
    runs.clear();
    const { occurrenceId } = await h.scheduler.dispatch({ jobName: 'BlockingJob', workerId: h.workerId });
    await h.scheduler.waitUntil(() => runs.get(occurrenceId) === 1, { what: 'the first run' });
    const firstRelease = release;
    const second = await h.startWorker({ jobs, rabbitmq: { url: h.url } });
    h.proxy.cut(); // the first instance vanishes; its delivery goes to the second one
    try {
      await h.scheduler.waitUntil(() => runs.get(occurrenceId) === 2, { what: 'the run on the second instance', timeoutMs: 15_000 });
      await h.scheduler.waitUntil(() => h.scheduler.logs(occurrenceId).some((l) => (l.body!.Log as Record<string, unknown>)['Category'] === 'Redelivery'), { what: 'the Redelivery log' });
      const log = h.scheduler.logs(occurrenceId).find((l) => (l.body!.Log as Record<string, unknown>)['Category'] === 'Redelivery')!.body!.Log as Record<string, unknown>;
      assert.equal(log['Level'], 'Warning');
      assert.deepEqual(log['Data'], { Reason: 'RabbitMQ redelivery detected', WorkerId: second.identity.instanceId });
      release?.();
      const final = await h.scheduler.waitForFinalStatus(occurrenceId, { timeoutMs: 10_000 });
      assert.equal(final.body!.Status, JobStatus.Completed);
      assert.equal(final.body!['InstanceId'], second.identity.instanceId);
    } finally {
      firstRelease?.();
      h.proxy.restore();
      await second.close({ graceMs: 1000 });
    }
  });

  it('sends an IsStopping heartbeat when it stops', async () => {
    await worker.close({ graceMs: 1000 });
    await h.scheduler.waitUntil(() => h.scheduler.heartbeats(h.workerId).some((m) => m.body!['IsStopping'] === true), { what: 'the IsStopping heartbeat' });
    const last = h.scheduler.heartbeats(h.workerId).find((m) => m.body!['IsStopping'] === true)!.body!;
    assert.equal(last.CurrentJobs, 0);
  });
});
