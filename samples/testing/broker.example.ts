// Testing your own jobs against a real RabbitMQ: the worker as in production, the scheduler played by milvaion-worker/testing.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { JobStatus } from '../../lib/index.ts';
import { createAmqpWorker, type AmqpWorker } from '../../lib/amqp.ts';
import { createSchedulerClient, type SchedulerClient } from '../../lib/scheduler-client/index.ts';
import { chargeInvoice } from '../errors/charge-invoice-job.ts';
import { generateReport } from '../reports/generate-report-job.ts';

// Point it at a throwaway virtual host: the client purges the scheduler-side queues it reads.
const url = process.env['MILVAION_TEST_AMQP_URL'] ?? 'amqp://guest:guest@127.0.0.1:5672';

describe('my jobs against RabbitMQ', { timeout: 60_000 }, () => {
  const workerId = `report-test-${process.pid}`;
  let scheduler: SchedulerClient;
  let worker: AmqpWorker;
  before(async () => {
    // With `jobs`, dispatches are typed: a misspelt job name or wrong data fails to compile.
    scheduler = await createSchedulerClient({ url, workerId, jobs: [generateReport, chargeInvoice] });
    worker = createAmqpWorker({ workerId, rabbitmq: { url }, jobs: [generateReport, chargeInvoice], outbox: false, redis: false });
    await worker.start();
  });
  after(async () => {
    await worker?.close({ graceMs: 1000 });
    await scheduler?.close();
  });

  it('reports Completed with the result and the user logs', async () => {
    const { occurrenceId } = await scheduler.dispatch(generateReport, { month: '2026-02', format: 'csv' });
    const final = await scheduler.waitForFinalStatus(occurrenceId, { timeoutMs: 10_000 });
    assert.equal(final.body?.Status, JobStatus.Completed);
    assert.equal(JSON.parse(final.body?.Result ?? 'null').rows, 28);
    // waitForFinalStatus() also waited for the logs sent before the final: they are all here.
    const messages = scheduler.logs(occurrenceId).map((m) => (m.body?.Log as { Message?: string } | undefined)?.Message);
    assert.ok(messages.includes('Generating the csv report for 2026-02'), messages.join('\n'));
  });

  it('dead-letters a permanent failure without retrying', async () => {
    const { occurrenceId } = await scheduler.dispatch({ jobName: 'ChargeInvoiceJob', data: { invoiceId: 'void-7' } });
    const final = await scheduler.waitForFinalStatus(occurrenceId, { timeoutMs: 10_000 });
    assert.equal(final.body?.Status, JobStatus.Failed);
    assert.match(final.body?.Exception ?? '', /voided/);
    await scheduler.waitFor(() => scheduler.deadLetters(occurrenceId)[0], { what: 'the DLQ message' });
  });
});
