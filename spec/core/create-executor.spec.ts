import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import * as v from 'valibot';
import { createServiceContainer, defaultMiddleware, defineJob, JobAbortError, JobStatus, PermanentJobError, type JobEnvelope, type Middleware } from '../../lib/index.ts';
import { type Sink } from '../../lib/core/vocabulary/ports.ts';
import { asFunction } from 'awilix';
import { createExecutor } from '../../lib/core/engine/create-executor.ts';
import { createMemorySink } from '../../lib/transports/memory/create-memory-sink.ts';
import { makeEnvelope } from '../support/envelopes.ts';
import { captureLogger, silentLogger } from '../support/loggers.ts';
import { flush, track } from '../support/pipeline-harness.ts';

const OCC = '7c9e6679-7425-40de-944b-e07fc1f90ae7';
/** Every envelope here is the same occurrence, so the sink's records are looked up by OCC. */
const envelope = (jobName: string, extra: Partial<JobEnvelope> = {}): JobEnvelope =>
  makeEnvelope(jobName, { jobId: OCC, occurrenceId: OCC, correlationId: OCC, ...extra });

describe('createExecutor', () => {
  it('writes Running with StartTime, the logs, then exactly one final status with the result', async () => {
    const sink = createMemorySink();
    const job = defineJob({ name: 'ReportJob', run: (_d, ctx) => (ctx.log.info('working', { step: 1 }), { rows: 3 }) });
    const executor = createExecutor({ jobs: [job], middleware: defaultMiddleware(), sink, logger: silentLogger });
    const outcome = await executor.execute(envelope('reportjob')); // matched case-insensitively
    assert.equal(outcome.isOk(), true);
    const kinds = sink.records.map((r) => (r.type === 'status' ? `status:${r.status}:${r.phase}` : `log:${r.message}`));
    assert.deepEqual(kinds, ['status:1:start', 'log:working', 'status:2:final']);
    const [running, , final] = sink.records;
    assert.ok(running?.type === 'status' && running.startTime !== null && running.endTime === null);
    assert.ok(final?.type === 'status' && final.result === '{"rows":3}' && final.durationMs !== null && final.startTime === running.startTime);
    assert.deepEqual(sink.logs()[0]?.data, { step: 1 });
  });

  it('reports a default result text when the job returns nothing, and accepts sync functions', async () => {
    const sink = createMemorySink();
    const executor = createExecutor({ jobs: [defineJob({ name: 'SyncJob', run: () => undefined })], middleware: [], sink, logger: silentLogger });
    await executor.execute(envelope('SyncJob'));
    assert.equal(sink.finalStatus(OCC)?.result, 'Job SyncJob completed successfully');
  });

  it('turns invalid data into a permanent Failed whose text lists each field, without running the job', async () => {
    let ran = false;
    const job = defineJob({ name: 'TypedJob', data: v.object({ a: v.number(), b: v.string() }), run: () => void (ran = true) });
    const sink = createMemorySink();
    const executor = createExecutor({ jobs: [job], middleware: defaultMiddleware(), sink, logger: silentLogger });
    const outcome = await executor.execute(envelope('TypedJob', { jobData: '{"a":"x"}' }));
    assert.equal(ran, false);
    assert.equal(outcome._unsafeUnwrapErr().kind, 'invalid-data');
    const final = sink.finalStatus(OCC)!;
    assert.equal(final.status, JobStatus.Failed);
    assert.match(final.exception!, /InvalidJobDataError/);
    assert.match(final.exception!, /a: Invalid type/);
    assert.match(final.exception!, /b: Invalid (type|key)/);
  });

  it('validates a typed result and sends the schema output as JSON', async () => {
    const result = v.object({ total: v.number(), currency: v.pipe(v.string(), v.toUpperCase()) });
    const sink = createMemorySink();
    const job = defineJob({ name: 'InvoiceJob', result, run: async () => ({ total: 3, currency: 'eur' }) });
    await createExecutor({ jobs: [job], middleware: defaultMiddleware(), sink, logger: silentLogger }).execute(envelope('InvoiceJob'));
    const final = sink.finalStatus(OCC)!;
    assert.equal(final.status, JobStatus.Completed);
    assert.equal(final.result, '{"total":3,"currency":"EUR"}');
  });

  it('turns a result that fails its schema into a permanent Failed naming each field, with no retry', async () => {
    const result = v.object({ total: v.number(), lines: v.array(v.object({ sku: v.string() })) });
    for (const retryMode of ['in-process', 'scheduled'] as const) {
      let calls = 0;
      // JSON.parse returns `any`: the shape is wrong only at run time, as with a job reading an API.
      const job = defineJob({ name: 'BadResultJob', maxRetries: 3, baseRetryDelaySeconds: 0, result, run: () => (calls++, JSON.parse('{"total":"3","lines":[{"sku":1}]}')) });
      const sink = createMemorySink();
      const outcome = await createExecutor({ jobs: [job], middleware: defaultMiddleware({ retryMode }), sink, logger: silentLogger }).execute(envelope('BadResultJob'));
      assert.equal(calls, 1, retryMode);
      const f = outcome._unsafeUnwrapErr();
      assert.ok(f.kind === 'failed' && f.permanent && f.retriesExhausted === undefined, retryMode);
      assert.equal(sink.statuses(OCC).filter((s) => s.phase === 'final').length, 1);
      const final = sink.finalStatus(OCC)!;
      assert.equal(final.status, JobStatus.Failed);
      assert.match(final.exception!, /^Type: InvalidJobResultError\nMessage: Invalid job result for BadResultJob: total: Invalid type: Expected number but received "3"; lines\.0\.sku: Invalid type: Expected string but received 1\nStackTrace: \n$/);
    }
  });

  it('reports an unknown job as Failed', async () => {
    const sink = createMemorySink();
    const executor = createExecutor({ jobs: [], middleware: defaultMiddleware(), sink, logger: silentLogger });
    const outcome = await executor.execute(envelope('GhostJob'));
    assert.equal(outcome._unsafeUnwrapErr().kind, 'unknown-job');
    assert.equal(sink.finalStatus(OCC)?.exception, 'No job registered for type: GhostJob');
  });

  it('does not retry a PermanentJobError wrapped as a cause, nor an error retryIf rejects', async () => {
    let calls = 0;
    const wrapped = defineJob({ name: 'WrappedJob', maxRetries: 3, baseRetryDelaySeconds: 0, run: () => { calls++; throw new Error('outer', { cause: new PermanentJobError('root') }); } });
    const vetoed = defineJob({ name: 'VetoJob', maxRetries: 3, baseRetryDelaySeconds: 0, retryIf: (e) => !(e instanceof TypeError), run: () => { calls++; throw new TypeError('bad'); } });
    const executor = createExecutor({ jobs: [wrapped, vetoed], middleware: defaultMiddleware(), sink: createMemorySink(), logger: silentLogger });
    const a = await executor.execute(envelope('WrappedJob'));
    const b = await executor.execute(envelope('VetoJob'));
    assert.equal(calls, 2);
    for (const o of [a, b]) {
      const f = o._unsafeUnwrapErr();
      assert.ok(f.kind === 'failed' && f.permanent);
    }
  });

  it('reports "Max retries (N) exceeded" once in-process retries are used up', async () => {
    let calls = 0;
    const job = defineJob({ name: 'AlwaysFailsJob', maxRetries: 2, baseRetryDelaySeconds: 0, run: () => { calls++; throw new Error('nope'); } });
    const sink = createMemorySink();
    const executor = createExecutor({ jobs: [job], middleware: defaultMiddleware(), sink, logger: silentLogger });
    await executor.execute(envelope('AlwaysFailsJob'));
    assert.equal(calls, 3);
    assert.match(sink.finalStatus(OCC)!.exception!, /^Max retries \(2\) exceeded\. Original exception: Type: Error\nMessage: nope/);
    assert.equal(sink.statuses(OCC).filter((s) => s.phase === 'final').length, 1);
  });

  it('writes no final status for a scheduled retry', async () => {
    const job = defineJob({ name: 'RetryLaterJob', maxRetries: 1, run: () => { throw new Error('later'); } });
    const sink = createMemorySink();
    const executor = createExecutor({ jobs: [job], middleware: defaultMiddleware({ retryMode: 'scheduled' }), sink, logger: silentLogger });
    const outcome = await executor.execute(envelope('RetryLaterJob'));
    const f = outcome._unsafeUnwrapErr();
    assert.ok(f.kind === 'retry-scheduled' && f.nextRetryCount === 1 && f.delayMs === 5000);
    assert.equal(sink.finalStatus(OCC), undefined);
  });

  it('sends job heartbeats while running and stops them before the final status', async (t) => {
    t.mock.timers.enable({ apis: ['setTimeout', 'setInterval', 'Date'] });
    let finish!: () => void;
    const job = defineJob({ name: 'LongJob', run: () => new Promise<void>((resolve) => (finish = resolve)) });
    const sink = createMemorySink();
    const executor = createExecutor({ jobs: [job], middleware: [], sink, logger: silentLogger, jobHeartbeatMs: 1000 });
    const done = executor.execute(envelope('LongJob'));
    t.mock.timers.tick(3500);
    finish();
    await done;
    t.mock.timers.tick(5000);
    const phases = sink.statuses(OCC).map((s) => s.phase);
    assert.deepEqual(phases, ['start', 'heartbeat', 'heartbeat', 'heartbeat', 'final']);
    const beat = sink.statuses(OCC)[1]!;
    assert.deepEqual([beat.status, beat.startTime, beat.endTime, beat.durationMs, beat.result], [JobStatus.Running, null, null, null, null]);
  });

  it('gives each execution its own DI scope, disposes it afterwards and logs a disposal error without throwing', async () => {
    const disposed: number[] = [];
    let made = 0;
    const container = createServiceContainer((c) =>
      c.register({
        counter: asFunction(() => ({ id: ++made }))
          .scoped()
          .disposer((s) => {
            disposed.push(s.id);
            if (s.id === 2) throw new Error('dispose failed');
          }),
      } as never),
    );
    const seen: number[] = [];
    const job = defineJob({
      name: 'ScopedJob',
      run: (_d, ctx) => {
        const services = ctx.services as unknown as { counter: { id: number } };
        assert.equal(services.counter, services.counter); // the same instance within one execution
        seen.push(services.counter.id);
      },
    });
    const logger = captureLogger();
    const executor = createExecutor({ jobs: [job], middleware: [], sink: createMemorySink(), logger, container });
    await executor.execute(envelope('ScopedJob'));
    const second = await executor.execute(envelope('ScopedJob'));
    assert.equal(second.isOk(), true);
    assert.deepEqual(seen, [1, 2]);
    assert.deepEqual(disposed, [1, 2]);
    assert.ok(logger.texts().some((l) => l.startsWith('error Disposing the DI scope')));
  });

  it('notices a redelivery with a warning log in the Redelivery category', async () => {
    const sink = createMemorySink();
    const logger = captureLogger();
    const executor = createExecutor({ jobs: [defineJob({ name: 'AgainJob', run: () => 1 })], middleware: [], sink, logger, instanceId: 'w-1234' });
    await executor.execute(envelope('AgainJob', { redelivered: true }));
    const log = sink.logs(OCC)[0]!;
    assert.equal(log.category, 'Redelivery');
    assert.equal(log.level, 'Warning');
    assert.deepEqual(log.data, { Reason: 'RabbitMQ redelivery detected', WorkerId: 'w-1234' });
    assert.ok(logger.texts().some((l) => l.startsWith('warn Redelivery')));
  });

  it('rejects when the sink cannot take a record, so the transport does not acknowledge', async () => {
    const sink = { write: () => Promise.reject(new Error('disk full')) };
    const executor = createExecutor({ jobs: [defineJob({ name: 'J', run: () => 1 })], middleware: [], sink, logger: silentLogger });
    await assert.rejects(executor.execute(envelope('J')), /disk full/);
  });

  it('captures an Error passed to a user log with its type and stack', async () => {
    const sink = createMemorySink();
    const job = defineJob({ name: 'LogErrJob', run: (_d, ctx) => ctx.log.error('it broke', new RangeError('out of range', { cause: new Error('inner') })) });
    await createExecutor({ jobs: [job], middleware: [], sink, logger: silentLogger }).execute(envelope('LogErrJob'));
    const log = sink.logs(OCC)[0]!;
    assert.equal(log.category, 'UserDefined');
    assert.equal(log.exceptionType, 'RangeError');
    assert.equal(log.data?.['InnerException'], 'inner');
    assert.match(String(log.data?.['StackTrace']), /at /);
  });

  it('writes no final status for a job interrupted by shutdown when the transport requeues it', async () => {
    const shutdown = new AbortController();
    const job = defineJob({ name: 'LongJob', run: (_d, ctx) => new Promise((_r, reject) => ctx.signal.addEventListener('abort', () => reject(ctx.signal.reason))) });
    const sink = createMemorySink();
    const executor = createExecutor({ jobs: [job], middleware: defaultMiddleware({ shutdownSignal: shutdown.signal }), sink, logger: silentLogger, requeueOnShutdown: true });
    const pending = executor.execute(envelope('LongJob'));
    setImmediate(() => shutdown.abort());
    const outcome = await pending;
    const f = outcome._unsafeUnwrapErr();
    assert.ok(f.kind === 'cancelled' && f.source === 'shutdown');
    assert.equal(sink.finalStatus(OCC), undefined);
  });

  it('settled() waits for the records a job that ignored its abort wrote before it returned, not only for its return', async () => {
    // A cancelled job goes on, logs one late line and returns; the worker's stop drains its outbox after settled().
    let release!: () => void;
    const released = new Promise<void>((resolve) => (release = resolve));
    const job = defineJob({
      name: 'LateLogJob',
      async run(_d, ctx) {
        await new Promise((resolve) => ctx.signal.addEventListener('abort', resolve, { once: true }));
        await released;
        ctx.log.info('late line after the abort');
        return 'ignored';
      },
    });
    const cancelAtOnce: Middleware = async function cancelAtOnce(ctx, next) {
      const outcome = next(ctx);
      ctx.abort.abort(new JobAbortError('user', 'cancelled by the spec'));
      return outcome;
    };
    // The late line's write is held, as an LMDB commit still on its way would be.
    const memory = createMemorySink();
    let commitLate!: () => void;
    const lateCommitted = new Promise<void>((resolve) => (commitLate = resolve));
    const sink: Sink = { write: (r) => memory.write(r).then(() => (r.type === 'log' ? lateCommitted : undefined)) };
    const executor = createExecutor({ jobs: [job], middleware: [cancelAtOnce], sink, logger: silentLogger });
    const outcome = await executor.execute(envelope('LateLogJob'));
    assert.equal(outcome._unsafeUnwrapErr().kind, 'cancelled');
    const settled = track(executor.settled(60_000));
    release();
    await flush();
    assert.equal(memory.logs(OCC).length, 1, 'the job wrote its late line');
    assert.equal(settled.settled, false, 'the late line is not written yet');
    commitLate();
    assert.equal(await settled.promise, true);
  });

  it('refuses two jobs with the same name', () => {
    const a = defineJob({ name: 'DupJob', run: () => 1 });
    const b = defineJob({ name: 'dupjob', run: () => 2 });
    assert.throws(() => createExecutor({ jobs: [a, b], middleware: [], sink: createMemorySink(), logger: silentLogger }), /Two jobs/);
  });
});
