// Testing your own jobs on the embedded transport: the real pipeline (validation, retries, statuses, logs), no broker.
import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import { asValue } from 'awilix';
import { createEmbeddedWorker, createServiceContainer, JobStatus } from '../../lib/index.ts';
import { sendEmail, type Mailer } from '../email/send-email-job.ts';
import { chargeInvoice } from '../errors/charge-invoice-job.ts';

describe('my jobs on the embedded transport', () => {
  const sent: string[] = [];
  const fakeMailer: Mailer = { send: async (m) => (sent.push(m.to), 'test-id') }; // a test double instead of the real mailer
  const container = createServiceContainer((c) => c.register({ mailer: asValue(fakeMailer) }));
  const worker = createEmbeddedWorker({ jobs: [sendEmail, chargeInvoice], container });
  after(() => worker.close());

  it('sends the email and returns the message id', async () => {
    // By definition (or by name): the name and the data are checked at compile time against the worker's jobs.
    const id = worker.enqueue(sendEmail, { to: 'ada@example.com', subject: 'Hi' });
    const final = await worker.wait(id);
    assert.equal(final.status, JobStatus.Completed);
    assert.equal(final.result, '{"messageId":"test-id"}');
    assert.deepEqual(sent, ['ada@example.com']);
    assert.ok(worker.sink.logs(id).some((l) => l.message.includes('Sending email to ada@example.com')));
  });

  it('fails invalid data without running the job', async () => {
    const final = await worker.wait(worker.enqueue('SendEmailJob', { to: 'not-an-email', subject: 'Hi' }));
    assert.equal(final.status, JobStatus.Failed);
    assert.match(final.exception ?? '', /to/);
  });

  it('retries a transient failure until it succeeds', async () => {
    const final = await worker.wait(worker.enqueue('ChargeInvoiceJob', { invoiceId: 'inv-1', failures: 2 }));
    assert.equal(final.status, JobStatus.Completed);
  });
});
