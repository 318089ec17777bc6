// waitForFinalStatus() resolves only once the logs a worker sent before the final status are collected: statuses
// and logs come on two queues, and without the wait `logs(id)` right after it often missed them (issue 25).
// Against a real worker on the real broker, in a vhost of its own, 20 occurrences per worker setup.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, it } from 'node:test';
import { createAmqpWorker } from '../../lib/amqp.ts';
import { defineJob, JobStatus } from '../../lib/index.ts';
import { useSchedulerVhost } from '../support/amqp-harness.ts';
import { captureLogger } from '../support/loggers.ts';
import { needs } from '../support/services.ts';

const LINES = 6;
const RUNS = 20;
// Its logs come just before it returns, so they and the final status leave the worker together.
const chatty = defineJob({
  name: 'ChattyJob',
  run(_data, ctx) {
    for (let i = 1; i <= LINES; i++) ctx.log.info(`line ${i} of ${LINES}`);
    return { lines: LINES };
  },
});

describe('waitForFinalStatus() and the logs sent before the final', { ...needs('rabbitmq'), timeout: 120_000 }, () => {
  const folders: string[] = [];
  const site = useSchedulerVhost('spec-final-logs', () => folders.forEach((folder) => rmSync(folder, { recursive: true, force: true })));
  const { url } = site;

  const setups = [
    { name: 'published directly (no outbox)', outbox: false as const, logBatching: false },
    { name: 'through the outbox, logs batched', outbox: true, logBatching: true },
  ];
  for (const setup of setups) {
    it(`logs(id) holds every log right after the final status, ${RUNS} times in a row: ${setup.name}`, async () => {
      const workerId = `final-logs-${setup.logBatching ? 'batched' : 'direct'}-${process.pid}`;
      const outbox = setup.outbox ? { localStoragePath: mkdtempSync(path.join(tmpdir(), 'final-logs-')) } : false;
      if (outbox) folders.push(outbox.localStoragePath);
      const worker = createAmqpWorker({ workerId, logger: captureLogger(), rabbitmq: { url, logBatching: setup.logBatching }, jobs: [chatty], outbox, redis: false });
      await worker.start();
      try {
        for (let i = 0; i < RUNS; i++) {
          const { occurrenceId } = await site.scheduler.dispatch({ jobName: 'ChattyJob', workerId, data: {} });
          const final = await site.scheduler.waitForFinalStatus(occurrenceId);
          // Read at once, no wait in between: this is what a test written the natural way does.
          const messages = site.scheduler.logs(occurrenceId).map((m) => (m.body?.Log as { Message?: string } | undefined)?.Message);
          assert.equal(final.body?.Status, JobStatus.Completed);
          assert.deepEqual(
            messages.filter((m) => m?.startsWith('line ')),
            Array.from({ length: LINES }, (_, n) => `line ${n + 1} of ${LINES}`),
            `occurrence ${i + 1} of ${RUNS}`,
          );
        }
      } finally {
        await worker.close({ graceMs: 1000 });
      }
    });
  }

  it('never collects its own marker as a log', async () => {
    const before = site.scheduler.logs().length;
    await site.scheduler.waitForLogs();
    await site.scheduler.waitForLogs({ timeoutMs: 5000 });
    assert.equal(site.scheduler.logs().length, before);
    assert.ok(site.scheduler.logs().every((m) => m.headers['x-milvaion-testing-log-marker'] === undefined));
  });
});
