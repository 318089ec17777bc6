// Specs of cancellation() and registryCancellation(): cancels by occurrence id and worker shutdown reach the job's
// signal with a readable JobAbortError, end the occurrence Cancelled at once, and stop in-process retries.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { JobAbortError, JobStatus, cancellation, defineJob, retry, type JobContext } from '../../lib/index.ts';
import { createCancellationRegistry } from '../../lib/core/engine/create-cancellation-registry.ts';
import { registryCancellation } from '../../lib/middleware/cancellation.ts';
import { advance, createHarness, outcomeOfKind, flush, resultOf, track } from '../support/pipeline-harness.ts';

const MOCKED = { apis: ['setTimeout', 'Date'] } as const;

/** A job that never settles and never looks at its signal; it records what it saw. */
function ignoringJob(name: string) {
  const seen: JobContext[] = [];
  const job = defineJob({
    name,
    run: (_data, ctx) => {
      seen.push(ctx);
      return new Promise<never>(() => {});
    },
  });
  return { job, seen };
}

describe('cancellation()', () => {
  it("aborts the job's signal with a JobAbortError (source 'user') whose reason is readable", async () => {
    const registry = createCancellationRegistry();
    const reasons: unknown[] = [];
    const job = defineJob({
      name: 'ListeningJob',
      run: (_data, ctx) =>
        new Promise((_resolve, reject) => {
          ctx.signal.addEventListener('abort', () => {
            reasons.push(ctx.signal.reason);
            reject(ctx.signal.reason);
          });
        }),
    });
    const h = createHarness({ jobs: [job], middleware: [registryCancellation(registry, undefined)] });
    const { envelope, outcome } = h.start('ListeningJob');
    await flush();
    assert.equal(registry.cancel(envelope.occurrenceId, 'Cancelled from the dashboard'), true);
    const failure = outcomeOfKind(await outcome, 'cancelled');
    assert.deepEqual(failure, { kind: 'cancelled', reason: 'Cancelled from the dashboard', source: 'user' });
    const reason = reasons[0];
    assert.ok(reason instanceof JobAbortError);
    assert.equal(reason.source, 'user');
    assert.equal(reason.message, 'Cancelled from the dashboard');
  });

  it('ends the occurrence cancelled at once even if the job ignores its signal', async () => {
    const registry = createCancellationRegistry();
    const { job, seen } = ignoringJob('IgnoringJob');
    const h = createHarness({ jobs: [job], middleware: [registryCancellation(registry, undefined)] });
    const { envelope, outcome } = h.start('IgnoringJob');
    const tracked = track(outcome);
    await flush();
    assert.equal(seen.length, 1);
    assert.equal(tracked.settled, false);
    registry.cancel(envelope.occurrenceId, 'stop now');
    await flush();
    assert.ok(tracked.settled, 'the outcome must not wait for a job that ignores its signal');
    assert.equal(outcomeOfKind(await outcome, 'cancelled').reason, 'stop now');
    assert.equal(seen[0]?.signal.aborted, true);
    const final = h.sink.finalStatus(envelope.occurrenceId);
    assert.equal(final?.status, JobStatus.Cancelled);
    assert.match(final?.result ?? '', /stop now/);
    const line = h.sink.logs(envelope.occurrenceId).find((l) => l.category === 'Execution');
    assert.equal(line?.level, 'Warning');
    assert.match(line?.message ?? '', /cancelled: stop now/);
  });

  it("ends with source 'shutdown' when the shutdown signal aborts during the run", async () => {
    const shutdown = new AbortController();
    const { job, seen } = ignoringJob('ShutdownJob');
    const h = createHarness({ jobs: [job], middleware: [cancellation({ shutdownSignal: shutdown.signal })] });
    const outcome = track(h.run('ShutdownJob'));
    await flush();
    assert.equal(outcome.settled, false);
    shutdown.abort();
    await flush();
    assert.ok(outcome.settled);
    const failure = outcomeOfKind(await outcome.promise, 'cancelled');
    assert.equal(failure.source, 'shutdown');
    assert.match(failure.reason, /shutting down/);
    const reason: unknown = seen[0]?.signal.reason;
    assert.ok(reason instanceof JobAbortError);
    assert.equal(reason.source, 'shutdown');
  });

  it('aborts every running execution on shutdown', async () => {
    const shutdown = new AbortController();
    const { job, seen } = ignoringJob('ManyShutdownJob');
    const h = createHarness({ jobs: [job], middleware: [cancellation({ shutdownSignal: shutdown.signal })] });
    const outcomes = [h.run('ManyShutdownJob'), h.run('ManyShutdownJob'), h.run('ManyShutdownJob')];
    await flush();
    assert.equal(seen.length, 3);
    shutdown.abort();
    for (const outcome of outcomes) assert.equal(outcomeOfKind(await outcome, 'cancelled').source, 'shutdown');
  });

  it('ends cancelled without running the job body when the shutdown signal is already aborted', async () => {
    const shutdown = new AbortController();
    shutdown.abort();
    let runs = 0;
    const job = defineJob({
      name: 'NeverStartsJob',
      run: () => {
        runs++;
      },
    });
    const h = createHarness({ jobs: [job], middleware: [cancellation({ shutdownSignal: shutdown.signal })] });
    const failure = outcomeOfKind(await h.run('NeverStartsJob'), 'cancelled');
    assert.equal(failure.source, 'shutdown');
    assert.equal(runs, 0);
  });

  it('unregisters the occurrence when it ends, so a later cancel returns false', async () => {
    const registry = createCancellationRegistry();
    const shutdown = new AbortController();
    const signals: AbortSignal[] = [];
    const job = defineJob({
      name: 'ShortJob',
      run: (_data, ctx) => {
        signals.push(ctx.signal);
        return 'done';
      },
    });
    const h = createHarness({ jobs: [job], middleware: [registryCancellation(registry, shutdown.signal)] });
    const { envelope, outcome } = h.start('ShortJob');
    assert.equal(resultOf(await outcome), 'done');
    assert.equal(registry.cancel(envelope.occurrenceId, 'too late'), false);
    shutdown.abort();
    assert.equal(signals[0]?.aborted, false, 'a finished execution is not aborted by a later shutdown');
  });

  it('unregisters a cancelled occurrence too', async () => {
    const registry = createCancellationRegistry();
    const { job } = ignoringJob('CancelTwiceJob');
    const h = createHarness({ jobs: [job], middleware: [registryCancellation(registry, undefined)] });
    const { envelope, outcome } = h.start('CancelTwiceJob');
    await flush();
    assert.equal(registry.cancel(envelope.occurrenceId, 'first'), true);
    await outcome;
    assert.equal(registry.cancel(envelope.occurrenceId, 'second'), false);
  });

  it('ends the next execution cancelled without running it when a cancel arrived while a scheduled retry waited', async () => {
    const registry = createCancellationRegistry();
    let runs = 0;
    const job = defineJob({
      name: 'WaitingRetryJob',
      run: () => {
        runs++;
        throw new Error('transient');
      },
    });
    const h = createHarness({
      jobs: [job],
      middleware: [registryCancellation(registry, undefined), retry({ mode: 'scheduled', baseDelayMs: 1000, maxRetries: 3 })],
    });
    const first = h.start('WaitingRetryJob');
    const decision = outcomeOfKind(await first.outcome, 'retry-scheduled');
    const occurrenceId = first.envelope.occurrenceId;
    registry.awaitRetry(occurrenceId, Date.now() + decision.delayMs);
    assert.equal(registry.cancel(occurrenceId, 'cancelled while waiting'), true);
    const failure = outcomeOfKind(await h.run('WaitingRetryJob', { occurrenceId, correlationId: occurrenceId, retryCount: decision.nextRetryCount }), 'cancelled');
    assert.deepEqual(failure, { kind: 'cancelled', reason: 'cancelled while waiting', source: 'user' });
    assert.equal(runs, 1, 'the retried delivery must not run the job');
    assert.equal(h.sink.finalStatus(occurrenceId)?.status, JobStatus.Cancelled);
    assert.equal(registry.isCancelled(occurrenceId), undefined, 'the tombstone is consumed');
  });

  it('passes executions through untouched when nothing cancels them', async () => {
    const job = defineJob({ name: 'PlainJob', run: (_data, ctx) => ctx.signal.aborted });
    const h = createHarness({ jobs: [job], middleware: [registryCancellation(createCancellationRegistry(), undefined)] });
    assert.equal(resultOf(await h.run('PlainJob')), false);
  });

  it('rejects invalid options with a TypeError naming the key', () => {
    for (const [options, key] of [
      [{ registry: {} }, 'registry'],
      [{ shutdownSignal: 'soon' }, 'shutdownSignal'],
      [{ graceMs: 10 }, 'graceMs'],
    ] as const) {
      assert.throws(
        () => cancellation(options as unknown as Parameters<typeof cancellation>[0]),
        (error: unknown) => error instanceof TypeError && error.message.includes('cancellation') && error.message.includes(key),
      );
    }
  });
});

describe('cancellation() outside retry (the default order)', () => {
  /** A job that always fails and counts its attempts. */
  function failingJob(name: string) {
    const state = { attempts: 0 };
    const job = defineJob({
      name,
      run: () => {
        state.attempts++;
        throw new Error(`attempt ${state.attempts} failed`);
      },
    });
    return { job, state };
  }

  it('stops further attempts when a cancel arrives during the in-process backoff', async (t) => {
    t.mock.timers.enable(MOCKED);
    const registry = createCancellationRegistry();
    const { job, state } = failingJob('BackoffCancelJob');
    const h = createHarness({ jobs: [job], middleware: [registryCancellation(registry, undefined), retry({ baseDelayMs: 1000, maxRetries: 5 })] });
    const { envelope, outcome } = h.start('BackoffCancelJob');
    const tracked = track(outcome);
    await advance(t.mock.timers, 1000, 10);
    assert.equal(state.attempts, 2, 'attempt 2 ran after the first 1 s backoff');
    await advance(t.mock.timers, 500, 10);
    assert.equal(registry.cancel(envelope.occurrenceId, 'enough'), true, 'the occurrence stays registered between attempts');
    await flush();
    assert.ok(tracked.settled, 'the cancel ends the backoff at once');
    assert.deepEqual(outcomeOfKind(await outcome, 'cancelled'), { kind: 'cancelled', reason: 'enough', source: 'user' });
    await advance(t.mock.timers, 60_000, 500);
    assert.equal(state.attempts, 2, 'no attempt runs after the cancel');
    assert.equal(h.sink.finalStatus(envelope.occurrenceId)?.status, JobStatus.Cancelled);
  });

  it('contrast: inside retry, a cancel during the backoff finds nothing registered and retries go on', async (t) => {
    t.mock.timers.enable(MOCKED);
    const registry = createCancellationRegistry();
    const { job, state } = failingJob('InnerCancelJob');
    const h = createHarness({ jobs: [job], middleware: [retry({ baseDelayMs: 1000, maxRetries: 2 }), registryCancellation(registry, undefined)] });
    const { envelope, outcome } = h.start('InnerCancelJob');
    await advance(t.mock.timers, 500, 10);
    assert.equal(registry.cancel(envelope.occurrenceId, 'ignored'), false);
    await advance(t.mock.timers, 2500, 10);
    assert.equal(state.attempts, 3);
    assert.equal(outcomeOfKind(await outcome, 'failed').retriesExhausted, 2);
  });
});
