// Every attempt's Running reaches the scheduler before the attempt's final status or retry, as the .NET worker
// sends it (Milvaion builds the status-change log, the Skip policy's running set, the running counters and
// the zombie detector on it). Before: the outbox coalesced the Running of a quick job into its final, so the
// scheduler saw Completed with no Running before it.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { defineJob, JobStatus } from '../../lib/index.ts';
import type { AmqpWorker } from '../../lib/amqp.ts';
import type { CollectedMessage, StatusBody } from '../../lib/scheduler-client/index.ts';
import { createAmqpHarness, type AmqpHarness } from '../support/amqp-harness.ts';
import { needs } from '../support/services.ts';

const root = mkdtempSync(path.join(tmpdir(), 'running-status-'));
after(() => rmSync(root, { recursive: true, force: true }));
const attempts = new Map<string, number>();

const jobs = [
  defineJob({ name: 'QuickJob', run: async () => new Promise((resolve) => setTimeout(() => resolve('quick'), 1)) }),
  defineJob({
    name: 'TwiceRetriedJob',
    maxRetries: 2,
    baseRetryDelaySeconds: 0.2,
    run: (_d, ctx) => {
      const n = (attempts.get(ctx.occurrence.id) ?? 0) + 1;
      attempts.set(ctx.occurrence.id, n);
      ctx.log.info(`attempt ${n}`);
      if (n < 3) throw new Error(`attempt ${n} fails`);
      return 'third time';
    },
  }),
];

const statusNames = (messages: readonly CollectedMessage<StatusBody>[]) => messages.map((m) => (m.body!.Status === JobStatus.Running ? 'Running' : `final ${m.body!.Status}`));

describe('a Running for every attempt (outbox on, the defaults)', { timeout: 120_000, ...needs('rabbitmq') }, () => {
  let h: AmqpHarness;
  let worker: AmqpWorker;
  before(async () => {
    h = await createAmqpHarness('running');
    worker = await h.startWorker({ jobs, outbox: { localStoragePath: path.join(root, 'outbox') } });
  });
  after(async () => {
    await worker.close({ graceMs: 1000 });
    await h.close();
  });

  it('a 1 ms job on an idle worker: Running arrives before Completed, 50 times in a row', async () => {
    for (let i = 0; i < 50; i++) {
      const { occurrenceId } = await h.scheduler.dispatch({ jobName: 'QuickJob', workerId: h.workerId });
      await h.scheduler.waitForFinalStatus(occurrenceId, { timeoutMs: 10_000 });
      assert.deepEqual(statusNames(h.scheduler.statuses(occurrenceId)), ['Running', `final ${JobStatus.Completed}`], `occurrence ${i + 1} of 50`);
    }
  });

  it('a job retried twice: one Running per attempt, each before that attempt ends, then one Completed', async () => {
    const { occurrenceId } = await h.scheduler.dispatch({ jobName: 'TwiceRetriedJob', workerId: h.workerId });
    await h.scheduler.waitForFinalStatus(occurrenceId, { timeoutMs: 20_000 });
    assert.deepEqual(statusNames(h.scheduler.statuses(occurrenceId)), ['Running', 'Running', 'Running', `final ${JobStatus.Completed}`]);
    assert.equal(attempts.get(occurrenceId), 3);
    // Each attempt's Running carries that attempt's start: three distinct start times, in order.
    const starts = h.scheduler.statuses(occurrenceId).slice(0, 3).map((m) => Date.parse(String(m.body!['StartTime'])));
    assert.ok(starts[0]! < starts[1]! && starts[1]! < starts[2]!, `start times ${starts.join(', ')}`);
    await h.scheduler.waitUntil(() => h.scheduler.logs(occurrenceId).filter((l) => /^attempt \d$/.test(String((l.body!.Log as Record<string, unknown>)['Message']))).length === 3, { what: 'three attempt logs' });
  });
});
