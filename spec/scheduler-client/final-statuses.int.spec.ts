// FINAL_STATUSES and waitForFinalStatus know every final status of release 10.1, the scheduler's Unknown and
// Skipped (7) included, and do not stop at Running. The wait runs against the real RabbitMQ, in a vhost of its own.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { createSchedulerClient, FINAL_STATUSES, newOccurrenceId, type SchedulerClient } from '../../lib/scheduler-client/index.ts';
import { JobStatus } from '../../lib/core/vocabulary/types.ts';
import { AMQP_URL, createVhost, deleteVhost } from '../support/amqp-harness.ts';
import { available, needs } from '../support/services.ts';

describe('FINAL_STATUSES', () => {
  it('holds Completed, Failed, Cancelled, TimedOut, Unknown and Skipped', () => {
    assert.deepEqual([...FINAL_STATUSES].sort(), [2, 3, 4, 5, 6, 7]);
    assert.equal(FINAL_STATUSES.has(JobStatus.Skipped), true);
    assert.equal(FINAL_STATUSES.has(JobStatus.Running), false);
  });
});

describe('waitForFinalStatus', { timeout: 30_000, ...needs('rabbitmq') }, () => {
  const vhost = `spec-final-statuses-${process.pid}`;
  let scheduler: SchedulerClient;
  before(async () => {
    createVhost(vhost);
    scheduler = await createSchedulerClient({ url: `${AMQP_URL}/${vhost}` });
  });
  after(async () => {
    await scheduler?.close();
    if (available('rabbitmq')) deleteVhost(vhost);
  });

  const status = (occurrenceId: string, Status: number) =>
    scheduler.publishRaw({ routingKey: scheduler.names.statuses, body: JSON.stringify({ CorrelationId: occurrenceId, OccurrenceId: occurrenceId, Status }) });

  it('resolves with a Skipped status set by the scheduler, past a Running one', async () => {
    const occurrenceId = newOccurrenceId();
    await status(occurrenceId, JobStatus.Running);
    await status(occurrenceId, JobStatus.Skipped);
    const final = await scheduler.waitForFinalStatus(occurrenceId, { timeoutMs: 5000 });
    assert.equal(final.body?.Status, JobStatus.Skipped);
  });

  it('does not resolve on Running alone', async () => {
    const occurrenceId = newOccurrenceId();
    await status(occurrenceId, JobStatus.Running);
    await assert.rejects(scheduler.waitForFinalStatus(occurrenceId, { timeoutMs: 300 }), /statuses of occurrence .*: \[1\]/);
  });
});
