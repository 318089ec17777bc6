// Unit specs of createLogBatcher(), the direct path's log buffer (RabbitMQ:LogBatching with the outbox off):
// the 500 ms / 50 flushes, a status of a held occurrence publishing the buffer first, failures and close.
import assert from 'node:assert/strict';
import { describe, it, type TestContext } from 'node:test';
import type { LogRecord, SinkRecord, StatusRecord } from '../../../lib/core/vocabulary/ports.ts';
import { createLogBatcher } from '../../../lib/transports/amqp/create-log-batcher.ts';
import { flush, track } from '../../support/pipeline-harness.ts';

const log = (occurrenceId: string, message: string): LogRecord => ({
  type: 'log',
  occurrenceId,
  correlationId: occurrenceId,
  jobName: 'J',
  timestamp: 0,
  level: 'Information',
  message,
  data: null,
  category: 'UserCode',
  exceptionType: null,
});
const status = (occurrenceId: string): StatusRecord => ({
  type: 'status',
  occurrenceId,
  correlationId: occurrenceId,
  jobId: 'j',
  jobName: 'J',
  status: 2,
  phase: 'final',
  startTime: 0,
  endTime: 0,
  durationMs: 0,
  result: null,
  exception: null,
  timestamp: 0,
});

/** A batcher over a fake publisher that records, in call order, each batch (its messages) and each single write. */
function setup(t: TestContext, fail = false) {
  t.mock.timers.enable({ apis: ['setTimeout'] });
  const sent: string[] = [];
  const batcher = createLogBatcher({
    toWire: (r: SinkRecord) => ({ queue: r.type === 'log' ? 'worker_logs_queue' : 'job_status_updates_queue', message: { OccurrenceId: r.occurrenceId, Message: r.type === 'log' ? r.message : null } }),
    writeOne: (r) => (sent.push(`single ${r.type} ${r.occurrenceId}`), Promise.resolve()),
    publish: (queue, body) => {
      const batch = JSON.parse(body.toString('utf8')) as { Logs: { Message: string }[]; Count: number };
      sent.push(`${queue} [${batch.Logs.map((l) => l.Message).join(' ')}] ${batch.Count}`);
      return fail ? Promise.reject(new Error('channel closed')) : Promise.resolve();
    },
  });
  return { batcher, sent };
}

describe('createLogBatcher', () => {
  it('holds logs for 500 ms, then sends them as one batch and resolves their writes', async (t) => {
    const { batcher, sent } = setup(t);
    const writes = ['one', 'two', 'three'].map((m) => track(batcher.write(log('a', m))));
    t.mock.timers.tick(499);
    await flush();
    assert.deepEqual(sent, []);
    assert.ok(writes.every((w) => !w.settled));
    t.mock.timers.tick(1);
    await flush();
    assert.deepEqual(sent, ['worker_logs_queue [one two three] 3']);
    assert.ok(writes.every((w) => w.settled));
  });

  it('sends at 50 logs without waiting', async (t) => {
    const { batcher, sent } = setup(t);
    for (let i = 0; i < 51; i++) void batcher.write(log(`o${i % 3}`, String(i)));
    await flush();
    assert.equal(sent.length, 1);
    assert.match(sent[0]!, / 50$/);
    t.mock.timers.tick(500);
    await flush();
    assert.deepEqual(sent.slice(1), ['worker_logs_queue [50] 1']);
  });

  it('sends the buffer before a status of an occurrence it holds, and not before anyone else’s', async (t) => {
    const { batcher, sent } = setup(t);
    void batcher.write(log('a', 'a1'));
    void batcher.write(status('b'));
    void batcher.write(log('b', 'b1'));
    void batcher.write(status('a'));
    await flush();
    assert.deepEqual(sent, ['single status b', 'worker_logs_queue [a1 b1] 2', 'single status a']);
  });

  it('fails every write of a batch whose publish failed', async (t) => {
    const { batcher } = setup(t, true);
    const writes = [batcher.write(log('a', 'one')), batcher.write(log('b', 'two'))];
    void batcher.flush();
    for (const w of writes) await assert.rejects(w, /channel closed/);
  });

  it('sends what is buffered at close, and later logs one by one', async (t) => {
    const { batcher, sent } = setup(t);
    void batcher.write(log('a', 'one'));
    await batcher.close();
    await batcher.write(log('a', 'late'));
    assert.deepEqual(sent, ['worker_logs_queue [one] 1', 'single log a']);
  });
});
