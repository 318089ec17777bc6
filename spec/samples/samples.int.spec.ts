// Every sample runs here so none can rot: its jobs on the embedded transport, `check` on its appsettings.json,
// the serverless handlers, manual registration, the BullMQ bridge and the testing examples against RabbitMQ (a
// throwaway vhost; the bridge also on the local Redis).
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { once } from 'node:events';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { after, describe, it } from 'node:test';
import { Queue } from 'bullmq';
import {
  createEmbeddedWorker,
  createServiceContainer,
  JobStatus,
  type EmbeddedWorker,
  type EmbeddedWorkerOptions,
} from '../../lib/index.ts';
import { main, ExitCode } from '../../lib/host/cli/cli.ts';
import { createSchedulerClient } from '../../lib/scheduler-client/index.ts';
import { toDispatchMessage } from '../../lib/scheduler-client/create-scheduler-client.ts';
import { ExternalEventType } from '../../lib/external/to-external-messages.ts';
import { externalCorrelationId } from '../../lib/external/external-correlation-id.ts';
import { AMQP_URL, createVhost, deleteVhost } from '../support/amqp-harness.ts';
import { silentLogger } from '../support/loggers.ts';
import { available, needs } from '../support/services.ts';
import { dataSync, dataSyncSetup, database } from '../../samples/data-sync/data-sync-job.ts';
import { emailSetup, sendEmail, sentMail } from '../../samples/email/send-email-job.ts';
import { chargeInvoice } from '../../samples/errors/charge-invoice-job.ts';
import { cleanupTempFiles, filterSetup } from '../../samples/filters/logging-filter.ts';
import { importProducts } from '../../samples/long-running/import-products-job.ts';
import { runBridge } from '../../samples/bullmq-bridge/main.ts';
import { buildHost, jobs as manualJobs } from '../../samples/manual-registration/main.ts';
import { middlewareSetup, postPayment } from '../../samples/middleware/idempotency-key.ts';
import { generateReport } from '../../samples/reports/generate-report-job.ts';
import { callPartnerApi, partnerApi } from '../../samples/rate-limits/call-partner-api-job.ts';
import { createServer } from 'node:http';
import { handler as lambdaHandler } from '../../samples/serverless/lambda.ts';
import { createJobServer } from '../../samples/serverless/http-server.ts';

const SAMPLES = fileURLToPath(new URL('../../samples/', import.meta.url));

// One throwaway virtual host for every broker-based sample; the testing example reads its URL from the env.
const vhost = `spec-samples-${process.pid}`;
const vhostUrl = `${AMQP_URL}/${vhost}`;
process.env['MILVAION_TEST_AMQP_URL'] = vhostUrl;
if (available('rabbitmq')) {
  createVhost(vhost);
  after(() => deleteVhost(vhost));
}

const workers: EmbeddedWorker[] = [];
function embedded(options: EmbeddedWorkerOptions): EmbeddedWorker {
  const worker = createEmbeddedWorker(options);
  workers.push(worker);
  return worker;
}

async function run(worker: EmbeddedWorker, jobName: string, data: unknown) {
  const id = worker.enqueue(jobName, data);
  return { id, final: await worker.wait(id), logs: () => worker.sink.logs(id).map((l) => l.message) };
}

describe('samples', { timeout: 120_000 }, () => {
  after(() => Promise.all(workers.map((w) => w.close({ graceMs: 100 }))));

  it('`milvaion-worker check` accepts every sample that has an appsettings.json', async () => {
    const folders = readdirSync(SAMPLES).filter((d) => existsSync(path.join(SAMPLES, d, 'appsettings.json')));
    assert.deepEqual(folders.sort(), ['data-sync', 'email', 'errors', 'filters', 'long-running', 'manual-registration', 'middleware', 'multi-worker', 'rate-limits', 'reports']);
    for (const folder of folders) {
      const lines: string[] = [];
      const out = { log: (l: string) => void lines.push(l), error: (l: string) => void lines.push(l) };
      const code = await main(['check', '--config', path.join(SAMPLES, folder, 'appsettings.json'), path.join(SAMPLES, folder)], out);
      assert.equal(code, ExitCode.ok, `${folder}:\n${lines.join('\n')}`);
      if (folder === 'multi-worker') {
        assert.match(lines.join('\n'), /worker email-worker:\n\s+SendEmailJob/);
        assert.match(lines.join('\n'), /worker report-worker:\n\s+GenerateReportJob/);
      }
    }
  });

  it('email: the injected mailer sends typed, validated data', async () => {
    const worker = embedded({ jobs: [sendEmail], container: createServiceContainer(emailSetup.services) });
    const ok = await run(worker, 'SendEmailJob', { to: 'ada@example.com', subject: 'Welcome' });
    assert.equal(ok.final.status, JobStatus.Completed);
    assert.deepEqual(JSON.parse(ok.final.result ?? ''), { messageId: `msg-${sentMail.length}` });
    assert.deepEqual(sentMail.at(-1), { to: 'ada@example.com', subject: 'Welcome', body: '' });
    const bad = await run(worker, 'SendEmailJob', { to: 'nope', subject: 1 });
    assert.equal(bad.final.status, JobStatus.Failed);
    assert.match(bad.final.exception ?? '', /subject/);
  });

  it('rate-limits: the partner API sees at most 5 calls a second per merchant, and a busy merchant does not slow another', async () => {
    const calls: { merchant: string; at: number }[] = [];
    const server = createServer((req, res) => {
      const merchant = /\/merchants\/([^/]+)\//.exec(req.url ?? '')?.[1] ?? '?';
      calls.push({ merchant, at: Date.now() });
      const recent = calls.filter((c) => c.merchant === merchant && Date.now() - c.at < 1000).length;
      res.writeHead(recent > 5 ? 429 : 200, { 'content-type': 'application/json' }).end(JSON.stringify({ confirmed: merchant }));
    });
    server.listen(0, '127.0.0.1');
    await once(server, 'listening');
    partnerApi.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    try {
      const worker = embedded({ jobs: [callPartnerApi] });
      const busy = Array.from({ length: 12 }, (_, i) => worker.enqueue(callPartnerApi, { merchantId: 'm-busy', orderId: `o-${i}` }));
      const quiet = worker.enqueue(callPartnerApi, { merchantId: 'm-quiet', orderId: 'o-1' });
      const quietFinal = await worker.wait(quiet);
      const firstBusyDone = Date.now();
      for (const id of busy) assert.equal((await worker.wait(id)).status, JobStatus.Completed);
      assert.equal(quietFinal.status, JobStatus.Completed);
      assert.ok(Date.now() - firstBusyDone >= 1500, 'the busy merchant\'s twelve calls took over two seconds');
      assert.equal(calls.length, 13, 'no call was refused, so none was retried');
    } finally {
      server.close();
    }
  });

  it('reports: the result reaches the status as a JSON string', async () => {
    const { final } = await run(embedded({ jobs: [generateReport] }), 'GenerateReportJob', { month: '2026-02' });
    assert.equal(final.status, JobStatus.Completed);
    assert.deepEqual(JSON.parse(final.result ?? ''), { reportId: 'report-2026-02', format: 'pdf', rows: 28, url: 'https://reports.example/2026-02.pdf' });
  });

  it('data-sync: a singleton API client and a scoped repository', async () => {
    const container = createServiceContainer(dataSyncSetup.services);
    const { final, logs } = await run(embedded({ jobs: [dataSync], container }), 'DataSyncJob', { since: '2026-01-31' });
    assert.equal(final.status, JobStatus.Completed);
    assert.equal(final.result, '{"saved":3}');
    assert.equal(database.get('2026-01-31-2'), 'value 2');
    assert.deepEqual(logs(), ['Synced 3 records changed since 2026-01-31']);
    const scope1 = container.createScope();
    const scope2 = container.createScope();
    assert.equal(scope1.cradle.externalApi, scope2.cradle.externalApi);
    assert.notEqual(scope1.cradle.dataRepository, scope2.cradle.dataRepository);
  });

  it('errors: transient errors are retried, PermanentJobError and retryIf are not', async () => {
    const worker = embedded({ jobs: [chargeInvoice] });
    const attempts = (id: string) => worker.sink.statuses(id).filter((s) => s.status === JobStatus.Running && s.startTime !== null).length;
    const recovered = await run(worker, 'ChargeInvoiceJob', { invoiceId: 'inv-1', failures: 2 });
    assert.equal(recovered.final.status, JobStatus.Completed);
    assert.deepEqual(recovered.logs().filter((l) => l.startsWith('Charged')), ['Charged inv-1 on attempt 3']);
    assert.equal(attempts(recovered.id), 3);
    const exhausted = await run(worker, 'ChargeInvoiceJob', { invoiceId: 'inv-2', failures: 99 });
    assert.equal(exhausted.final.status, JobStatus.Failed);
    assert.equal(attempts(exhausted.id), 4); // 1 + MaxRetries 3
    const rejected = await run(worker, 'ChargeInvoiceJob', { invoiceId: 'inv-3', failures: 99, failWith: 422 });
    assert.equal(rejected.final.status, JobStatus.Failed);
    assert.match(rejected.final.exception ?? '', /422/);
    assert.equal(attempts(rejected.id), 1);
    const voided = await run(worker, 'ChargeInvoiceJob', { invoiceId: 'void-9' });
    assert.equal(voided.final.status, JobStatus.Failed);
    assert.match(voided.final.exception ?? '', /voided/);
    assert.equal(attempts(voided.id), 1);
  });

  it('long-running: completes, and stops at the current step when cancelled', async () => {
    const worker = embedded({ jobs: [importProducts] });
    const short = await run(worker, 'ImportProductsJob', { batches: 3, batchMs: 1 });
    assert.equal(short.final.status, JobStatus.Completed);
    assert.equal(short.final.result, '{"imported":300}');
    const id = worker.enqueue('ImportProductsJob', { batches: 10_000, batchMs: 20 });
    await new Promise<void>((resolve) => {
      const stop = worker.sink.subscribe((r) => r.type === 'log' && r.occurrenceId === id && (stop(), resolve()));
    });
    assert.ok(worker.cancel(id, 'Cancelled from the dashboard'));
    const final = await worker.wait(id);
    assert.equal(final.status, JobStatus.Cancelled);
    await new Promise((resolve) => setTimeout(resolve, 60));
    assert.ok(worker.sink.logs(id).filter((l) => l.message.startsWith('Imported batch')).length < 5, 'no batch ran after the cancel');
  });

  it('filters: the logging filter logs around every job', async () => {
    const worker = embedded({ jobs: [cleanupTempFiles], use: filterSetup.use ?? [] });
    const ok = await run(worker, 'CleanupTempFilesJob', { olderThanDays: 7 });
    assert.equal(ok.final.status, JobStatus.Completed);
    assert.deepEqual(ok.logs().filter((l) => l.startsWith('Job ')), ['Job starting...', 'Job completed']);
    const failed = await run(worker, 'CleanupTempFilesJob', { olderThanDays: 400 });
    assert.equal(failed.final.status, JobStatus.Failed);
    assert.ok(failed.logs().includes('Job failed: Error: Refusing to touch files older than a year'), failed.logs().join('\n'));
  });

  it('middleware: a repeated idempotency key is skipped (Cancelled), a failed one may run again', async () => {
    const worker = embedded({ jobs: [postPayment], use: middlewareSetup.use ?? [] });
    assert.equal((await run(worker, 'PostPaymentJob', { idempotencyKey: 'k-1', amount: 5 })).final.status, JobStatus.Completed);
    const dup = await run(worker, 'PostPaymentJob', { idempotencyKey: 'k-1', amount: 5 });
    assert.equal(dup.final.status, JobStatus.Cancelled);
    assert.match(dup.final.result ?? '', /already processed/);
    assert.equal((await run(worker, 'PostPaymentJob', { idempotencyKey: 'k-2', amount: -1 })).final.status, JobStatus.Failed);
    assert.equal((await run(worker, 'PostPaymentJob', { idempotencyKey: 'k-2', amount: 1 })).final.status, JobStatus.Completed);
  });

  it('serverless: the Lambda-style and the node:http handler run the same jobs', async () => {
    const message = toDispatchMessage({ jobName: 'GenerateReportJob', workerId: 'serverless', data: { month: '2026-03', format: 'csv' } });
    const viaLambda = await lambdaHandler({ body: JSON.stringify(message.body), headers: { CorrelationId: message.occurrenceId } }, { getRemainingTimeInMillis: () => 30_000 });
    assert.equal(viaLambda.statusName, 'Completed');
    assert.equal(viaLambda.occurrenceId, message.occurrenceId);
    assert.equal(JSON.parse(viaLambda.result ?? '').rows, 30);

    const server = createJobServer().listen(0, '127.0.0.1');
    await once(server, 'listening');
    try {
      const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
      const post = (body: unknown) => fetch(`${base}/jobs`, { method: 'POST', body: JSON.stringify(body) });
      const completed = await post(message.body);
      assert.equal(completed.status, 200);
      assert.equal(((await completed.json()) as { result: string }).result, viaLambda.result);
      const permanent = toDispatchMessage({ jobName: 'ChargeInvoiceJob', workerId: 'serverless', data: { invoiceId: 'void-1' } });
      const failed = await post(permanent.body);
      assert.equal(failed.status, 422);
      assert.equal(((await failed.json()) as { statusName: string }).statusName, 'Failed');
      assert.equal((await fetch(`${base}/other`)).status, 404);
    } finally {
      server.close();
    }
  });

  it('manual-registration: the host built in code runs exactly its job list against RabbitMQ', needs('rabbitmq'), async () => {
    assert.deepEqual(manualJobs.map((j) => j.name), ['SendEmailJob', 'GenerateReportJob']);
    const workerId = `manual-spec-${process.pid}`;
    const host = buildHost({
      overrides: { Worker: { WorkerId: workerId, RabbitMQ: { Url: vhostUrl }, OfflineResilience: { Enabled: false } } },
      logger: silentLogger,
    });
    const scheduler = await createSchedulerClient({ url: vhostUrl });
    try {
      await host.start();
      const { occurrenceId } = await scheduler.dispatch({ jobName: 'SendEmailJob', workerId, data: { to: 'grace@example.com', subject: 'Hi' } });
      const final = await scheduler.waitForFinalStatus(occurrenceId, { timeoutMs: 15_000 });
      assert.equal(final.body?.Status, JobStatus.Completed);
      assert.deepEqual(sentMail.at(-1), { to: 'grace@example.com', subject: 'Hi', body: '' });
    } finally {
      await host.stop();
      await scheduler.close();
    }
  });

  it('bullmq-bridge: the job scheduler, the one-off jobs and their retries reach Milvaion as external jobs', needs('rabbitmq', 'redis'), async () => {
    const queueName = `spec-bullmq-bridge-${process.pid}`;
    const outboxPath = mkdtempSync(path.join(tmpdir(), 'bullmq-bridge-'));
    const scheduler = await createSchedulerClient({ url: vhostUrl });
    try {
      const workerId = `bullmq-bridge-spec-${process.pid}`;
      const run = await runBridge({ amqpUrl: vhostUrl, queueName, workerId, pattern: '* * * * * *', runForMs: 2500, outboxPath, logger: silentLogger });
      const registrations = (key: string) => scheduler.externalRegistrations(`${queueName}:${key}`).map((m) => m.body ?? {});
      await scheduler.waitUntil(() => registrations('daily-digest').length === 2, { what: 'the scheduler registered, then inactive' });
      assert.deepEqual(registrations('daily-digest').map((b) => [b['CronExpression'], b['JobTypeName'], b['IsActive'], b['Source'], b['WorkerId']]), [
        ['* * * * * *', 'send-digest', true, 'BullMQ', workerId],
        ['* * * * * *', 'send-digest', false, 'BullMQ', workerId],
      ]);
      assert.deepEqual([registrations('import-file').length, registrations('resize-image').length], [1, 1]);
      const occurrence = (key: string, jobId: string) => scheduler.externalOccurrences(externalCorrelationId('BullMQ', `${queueName}:${key}`, jobId)).map((m) => m.body ?? {});
      const [importId, resizeId] = run.jobIds as [string, string];
      await scheduler.waitUntil(() => occurrence('import-file', importId).length === 2 && occurrence('resize-image', resizeId).length === 2, { what: 'the one-off jobs' });
      // The import failed once and was retried: still one Starting and one end.
      assert.deepEqual(occurrence('import-file', importId).map((b) => [b['EventType'], b['Status']]), [[ExternalEventType.Starting, JobStatus.Running], [ExternalEventType.Completed, JobStatus.Completed]]);
      assert.equal(occurrence('import-file', importId)[1]!['Result'], '{"imported":"prices.csv","rows":42}');
      const digests = scheduler.externalOccurrences().filter((m) => m.body?.['ExternalJobId'] === `${queueName}:daily-digest`);
      assert.ok(digests.length >= 1, 'the scheduler ran');
    } finally {
      await scheduler.close();
      const queue = new Queue(queueName, { connection: { host: '127.0.0.1', port: 6379 } });
      await queue.obliterate({ force: true });
      await queue.close();
      rmSync(outboxPath, { recursive: true, force: true });
    }
  });
});

// The testing sample's example files, run as they are (they register their own suites). Without a broker, a
// skipped stand-in takes the place of the broker example's suite.
await import('../../samples/testing/embedded.example.ts');
if (available('rabbitmq')) {
  await import('../../samples/testing/broker.example.ts');
} else {
  describe('samples/testing/broker.example.ts', needs('rabbitmq'), () => {
    it('my jobs against RabbitMQ');
  });
}
