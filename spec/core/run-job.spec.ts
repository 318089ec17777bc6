// Specs of runJob(), abortedOutcome() and toJobContext(): data parsing and validation, the job's result or
// error as an Outcome (permanent or not, retryIf), aborts before and during a run, and the job-facing context.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { asValue } from 'awilix';
import * as v from 'valibot';
import { createServiceContainer, defineJob, JobAbortError, PermanentJobError, type ExecutionContext, type JobContext } from '../../lib/index.ts';
import { runJob } from '../../lib/core/engine/run-job.ts';
import { abortedOutcome, toJobContext } from '../../lib/core/engine/run-job.ts';
import { makeContext, outcomeOfKind, resultOf } from '../support/pipeline-harness.ts';

describe('runJob', () => {
  it('ends an execution without a definition as unknown-job, naming the job', async () => {
    const { ctx } = makeContext(undefined, { envelope: { jobName: 'GhostJob' } });
    assert.deepEqual(outcomeOfKind(await runJob(ctx), 'unknown-job'), { kind: 'unknown-job', jobName: 'GhostJob' });
  });

  it('passes the parsed data to the job and completes with its result', async () => {
    let received: unknown;
    const job = defineJob({ name: 'SumJob', data: v.object({ a: v.number(), b: v.number() }), run: (d) => ((received = d), d.a + d.b) });
    const { ctx } = makeContext(job, { envelope: { jobData: '{"a":2,"b":3}' } });
    assert.equal(resultOf(await runJob(ctx)), 5);
    assert.deepEqual(received, { a: 2, b: 3 });
  });

  it('hands an empty object to a job whose message has no data', async () => {
    let received: unknown;
    const job = defineJob({ name: 'NoDataJob', run: (d) => void (received = d) });
    for (const jobData of [undefined, '', '   ']) {
      const { ctx } = makeContext(job, { envelope: { jobData } });
      assert.equal(resultOf(await runJob(ctx)), undefined);
      assert.deepEqual(received, {});
    }
  });

  it('returns invalid-data with one issue per field, without running the job', async () => {
    let ran = false;
    const job = defineJob({ name: 'TypedJob', data: v.object({ a: v.number(), b: v.string() }), run: () => void (ran = true) });
    const { ctx } = makeContext(job, { envelope: { jobData: '{"a":"x"}' } });
    const { issues } = outcomeOfKind(await runJob(ctx), 'invalid-data');
    assert.equal(ran, false);
    assert.equal(issues.length, 2);
    assert.match(issues[0]!, /^a: Invalid type/);
    assert.match(issues[1]!, /^b: Invalid (type|key)/);
  });

  it('returns invalid-data for data that is not JSON', async () => {
    const job = defineJob({ name: 'JsonJob', run: () => 'ran' });
    const { ctx } = makeContext(job, { envelope: { jobData: '{nope' } });
    const { issues } = outcomeOfKind(await runJob(ctx), 'invalid-data');
    assert.match(issues[0]!, /^jobData is not valid JSON: /);
  });

  it('does not start a job whose execution is already aborted', async () => {
    let ran = false;
    const job = defineJob({ name: 'LateJob', run: () => void (ran = true) });
    const cancelled = makeContext(job);
    cancelled.abort.abort(new JobAbortError('user', 'Cancelled by request'));
    assert.deepEqual(outcomeOfKind(await runJob(cancelled.ctx), 'cancelled'), { kind: 'cancelled', reason: 'Cancelled by request', source: 'user' });
    const timedOut = makeContext(job);
    timedOut.abort.abort(new JobAbortError('timeout', 'too slow', 250));
    assert.deepEqual(outcomeOfKind(await runJob(timedOut.ctx), 'timed-out'), { kind: 'timed-out', timeoutMs: 250, elapsedMs: 250 });
    assert.equal(ran, false);
  });

  it('turns a thrown error into a transient failure that keeps the error', async () => {
    const error = new Error('db down');
    const job = defineJob({ name: 'FailJob', run: () => Promise.reject(error) });
    const failure = outcomeOfKind(await runJob(makeContext(job).ctx), 'failed');
    assert.equal(failure.error, error);
    assert.equal(failure.permanent, false);
    assert.equal(failure.retriesExhausted, undefined);
  });

  it('marks a failure permanent for a PermanentJobError, also as a cause, and when retryIf says no', async () => {
    const direct = defineJob({ name: 'PermJob', run: () => { throw new PermanentJobError('bad input'); } });
    const wrapped = defineJob({ name: 'WrapJob', run: () => { throw new Error('outer', { cause: new PermanentJobError('root') }); } });
    const vetoed = defineJob({ name: 'VetoJob', retryIf: (e) => !(e instanceof TypeError), run: () => { throw new TypeError('type'); } });
    const allowed = defineJob({ name: 'AllowJob', retryIf: (e) => !(e instanceof TypeError), run: () => { throw new RangeError('range'); } });
    assert.equal(outcomeOfKind(await runJob(makeContext(direct).ctx), 'failed').permanent, true);
    assert.equal(outcomeOfKind(await runJob(makeContext(wrapped).ctx), 'failed').permanent, true);
    assert.equal(outcomeOfKind(await runJob(makeContext(vetoed).ctx), 'failed').permanent, true);
    assert.equal(outcomeOfKind(await runJob(makeContext(allowed).ctx), 'failed').permanent, false);
  });

  it('asks retryIf with the retry count of the attempt', async () => {
    const seen: number[] = [];
    const job = defineJob({ name: 'CountJob', retryIf: (_e, info) => (seen.push(info.retryCount), true), run: () => { throw new Error('x'); } });
    const { ctx } = makeContext(job, { envelope: { retryCount: 1 } });
    await runJob({ ...ctx, retryCount: 4 });
    assert.deepEqual(seen, [4], 'the attempt’s count (grown by in-process retries), not the envelope’s');
  });

  it('treats the error as transient, and warns, when retryIf itself throws', async () => {
    const job = defineJob({ name: 'BadPredicateJob', retryIf: () => { throw new Error('predicate bug'); }, run: () => { throw new Error('job error'); } });
    const { ctx, logger } = makeContext(job);
    assert.equal(outcomeOfKind(await runJob(ctx), 'failed').permanent, false);
    assert.deepEqual(logger.messages('warn'), ['retryIf of BadPredicateJob threw; treating the error as transient']);
    assert.equal((logger.lines[0]!.args[0] as Error).message, 'predicate bug');
  });

  it('ends a job that throws because it was aborted as that abort, not as a failure', async () => {
    const job = defineJob({
      name: 'AbortAwareJob',
      run: (_d, ctx) =>
        new Promise((_resolve, reject) => ctx.signal.addEventListener('abort', () => reject(new DOMException('This operation was aborted', 'AbortError')))),
    });
    const { ctx, abort } = makeContext(job);
    const outcome = runJob(ctx);
    abort.abort(new JobAbortError('shutdown', 'Worker is stopping'));
    assert.deepEqual(outcomeOfKind(await outcome, 'cancelled'), { kind: 'cancelled', reason: 'Worker is stopping', source: 'shutdown' });
  });

  it('also reads the abort from a narrower signal a middleware passed down', async () => {
    const own = new AbortController();
    const job = defineJob({ name: 'NarrowJob', run: () => { own.abort(new JobAbortError('timeout', 'attempt timed out', 500)); throw new Error('gave up'); } });
    const { ctx } = makeContext(job);
    const narrowed: ExecutionContext = { ...ctx, signal: own.signal };
    assert.deepEqual(outcomeOfKind(await runJob(narrowed), 'timed-out'), { kind: 'timed-out', timeoutMs: 500, elapsedMs: 500 });
  });
});

describe('abortedOutcome', () => {
  it('keeps timeouts and cancellations apart, with their source', () => {
    assert.deepEqual(outcomeOfKind(abortedOutcome(new JobAbortError('timeout', 't', 1000)), 'timed-out'), { kind: 'timed-out', timeoutMs: 1000, elapsedMs: 1000 });
    assert.deepEqual(outcomeOfKind(abortedOutcome(new JobAbortError('timeout', 't')), 'timed-out'), { kind: 'timed-out', timeoutMs: 0, elapsedMs: 0 });
    assert.deepEqual(outcomeOfKind(abortedOutcome(new JobAbortError('filter', 'filtered')), 'cancelled'), { kind: 'cancelled', reason: 'filtered', source: 'filter' });
  });

  it('treats any other abort reason as a user cancel, with its text', () => {
    assert.deepEqual(outcomeOfKind(abortedOutcome(new Error('stop it')), 'cancelled'), { kind: 'cancelled', reason: 'stop it', source: 'user' });
    assert.deepEqual(outcomeOfKind(abortedOutcome('plain text'), 'cancelled'), { kind: 'cancelled', reason: 'plain text', source: 'user' });
    assert.deepEqual(outcomeOfKind(abortedOutcome(undefined), 'cancelled'), { kind: 'cancelled', reason: 'aborted', source: 'user' });
  });
});

describe('toJobContext', () => {
  it('shows the job, the occurrence (with the attempt’s retry count and the settings’ max retries) and the runtime log', () => {
    const job = defineJob({ name: 'CtxJob', maxRetries: 7, run: () => undefined });
    const { ctx } = makeContext(job, { envelope: { jobData: '{"x":1}', version: 3, redelivered: true, retryCount: 1 } });
    const jobCtx = toJobContext({ ...ctx, retryCount: 2 });
    assert.deepEqual(jobCtx.job, { id: ctx.envelope.jobId, name: 'CtxJob', data: '{"x":1}', version: 3 });
    assert.deepEqual(jobCtx.occurrence, { id: ctx.envelope.occurrenceId, correlationId: ctx.envelope.correlationId, retryCount: 2, maxRetries: 7, redelivered: true });
    assert.equal(jobCtx.log, ctx.log);
  });

  it('gives the services of the execution’s scope, or an empty frozen object without one', () => {
    const job = defineJob({ name: 'SvcJob', run: () => undefined });
    const { ctx } = makeContext(job);
    const none = toJobContext(ctx).services;
    assert.deepEqual(none, {});
    assert.equal(Object.isFrozen(none), true);
    const container = createServiceContainer();
    container.register({ greeting: asValue('hello') });
    const scoped = toJobContext({ ...ctx, scope: container.createScope() }).services as unknown as { greeting: string };
    assert.equal(scoped.greeting, 'hello');
  });

  it('reads the signal only when the job asks for it', () => {
    const job = defineJob({ name: 'LazyJob', run: () => undefined });
    const { ctx } = makeContext(job);
    let reads = 0;
    const counted = Object.defineProperty({ ...ctx }, 'signal', { get: () => (reads++, ctx.signal) }) as ExecutionContext;
    const jobCtx: JobContext = toJobContext(counted);
    assert.equal(reads, 0);
    assert.equal(jobCtx.signal, ctx.signal);
    assert.equal(reads, 1);
  });
});
