// Integration specs of Worker:RabbitMQ:LogBatching against the real RabbitMQ (own vhost): a job's logs reach
// worker_logs_queue as WorkerLogBatchMessages in order, with both occurrence keys, between Running and the final.
// Two queues give no arrival order, so the publish order is read from the broker's firehose (trace_on).
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, afterEach, before, describe, it } from 'node:test';
import { defineJob, JobStatus } from '../../lib/index.ts';
import type { OutboxSettings } from '../../lib/outbox/create-outbox.ts';
import { createAmqpHarness, type AmqpHarness } from '../support/amqp-harness.ts';
import { needs } from '../support/services.ts';

const jobs = [
  defineJob({
    name: 'FiveLogsJob',
    run: (_data, ctx) => {
      for (let i = 1; i <= 5; i++) ctx.log.info(`log ${i}`, { i });
      return 'logged';
    },
  }),
];

describe('RabbitMQ:LogBatching against the real broker', needs('rabbitmq'), () => {
  let h: AmqpHarness;
  const root = mkdtempSync(path.join(tmpdir(), 'log-batching-spec-'));
  let stores = 0;
  const outbox = (): OutboxSettings => ({ localStoragePath: path.join(root, `outbox-${++stores}`) });
  /** What the broker's firehose saw published to the status and log queues, in publish order: `Status n` or `Logs m1 m2…`. */
  const published: { occurrence: string; what: string }[] = [];
  let stopFirehose = async (): Promise<void> => undefined;
  before(async () => {
    h = await createAmqpHarness('log-batching');
    execFileSync('rabbitmqctl', ['-q', 'trace_on', '-p', h.workerId]); // the harness names its vhost after its WorkerId
    const firehose = h.admin.createConsumer(
      { queue: `${h.workerId}.firehose`, queueOptions: { exclusive: true }, queueBindings: [{ exchange: 'amq.rabbitmq.trace', routingKey: 'publish.#' }] },
      (msg) => void published.push(...toPublished(msg.body)),
    );
    firehose.on('error', () => undefined);
    await new Promise((resolve) => firehose.once('ready', resolve));
    stopFirehose = () => firehose.close();
  });
  afterEach(async () => {
    await h.closeWorkers();
    h.scheduler.clear();
    published.length = 0;
  });
  after(async () => {
    await stopFirehose();
    await h.close();
    rmSync(root, { recursive: true, force: true });
  });

  /** Runs FiveLogsJob once; returns its statuses and its collected logs once all five and the final arrived. */
  async function runFiveLogs() {
    const { occurrenceId } = await h.scheduler.dispatch({ jobName: 'FiveLogsJob', workerId: h.workerId });
    const final = await h.scheduler.waitForFinalStatus(occurrenceId);
    await h.scheduler.waitUntil(() => h.scheduler.logs(occurrenceId).length >= 5, { what: 'five logs' });
    return { occurrenceId, final, running: h.scheduler.statuses(occurrenceId)[0]!, logs: h.scheduler.logs(occurrenceId) };
  }

  for (const [name, withOutbox] of [['the outbox relay', true], ['the direct publisher (outbox off)', false]] as const) {
    it(`sends the logs of ${name} as batches, in order, with both keys, after Running and before the final`, async () => {
      await h.startWorker({ jobs, rabbitmq: { logBatching: true }, outbox: withOutbox ? outbox() : false });
      const { occurrenceId, final, running, logs } = await runFiveLogs();
      assert.equal(final.body!.Status, JobStatus.Completed);
      assert.equal(running.body!.Status, JobStatus.Running);
      assert.equal(logs.length, 5);
      assert.deepEqual(logs.map((m) => (m.body!.Log as Record<string, unknown>)['Message']), ['log 1', 'log 2', 'log 3', 'log 4', 'log 5']);
      for (const m of logs) {
        assert.deepEqual([m.body!.CorrelationId, m.body!.OccurrenceId], [occurrenceId, occurrenceId]);
        assert.ok(m.batch, 'each log came inside a WorkerLogBatchMessage');
        const batch = m.batch.body as { Logs: unknown[]; Count: number; BatchTimestamp: string };
        assert.equal(batch.Count, batch.Logs.length);
        assert.match(batch.BatchTimestamp, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
      }
      // The publish order (one channel), then the worker's own times.
      await h.scheduler.waitUntil(() => published.some((p) => p.occurrence === occurrenceId && p.what === 'Status 2'), { what: 'the firehose copy of the final' });
      const order = published.filter((p) => p.occurrence === occurrenceId).map((p) => p.what);
      assert.equal(order[0], 'Status 1', `Running first: ${order.join(', ')}`);
      assert.equal(order.at(-1), 'Status 2', `the final last: ${order.join(', ')}`);
      assert.equal(order.slice(1, -1).join(' ').replaceAll('Logs ', ''), 'log 1 log 2 log 3 log 4 log 5', `the logs between, in batches: ${order.join(', ')}`);
      const times = logs.map((m) => Date.parse(String((m.body!.Log as Record<string, unknown>)['Timestamp'])));
      assert.ok(Date.parse(String(running.body!['StartTime'])) <= times[0]! && times[4]! <= Date.parse(String(final.body!['EndTime'])), 'Running → logs → final by time');
    });
  }

  it('sends single WorkerLogMessages when LogBatching is off (the default)', async () => {
    await h.startWorker({ jobs, outbox: outbox() });
    const { logs } = await runFiveLogs();
    assert.equal(logs.length, 5);
    assert.ok(logs.every((m) => m.batch === undefined && m.body!['Log'] !== undefined));
  });
});

/** The status or log batch a firehose copy carries, per occurrence (a batch may hold several occurrences). */
function toPublished(body: unknown): { occurrence: string; what: string }[] {
  let message: Record<string, unknown>;
  try {
    message = (Buffer.isBuffer(body) ? JSON.parse(body.toString('utf8')) : body) as Record<string, unknown>;
  } catch {
    return [];
  }
  if (typeof message['Status'] === 'number') return [{ occurrence: String(message['OccurrenceId']), what: `Status ${message['Status']}` }];
  const logs = (Array.isArray(message['Logs']) ? message['Logs'] : [message]) as { OccurrenceId?: string; Log?: { Message?: string } }[];
  const occurrences = [...new Set(logs.map((l) => String(l.OccurrenceId)))];
  return occurrences.map((occurrence) => ({ occurrence, what: `Logs ${logs.filter((l) => l.OccurrenceId === occurrence).map((l) => l.Log?.Message).join(' ')}` }));
}
