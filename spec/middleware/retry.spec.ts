// Specs of retry(): exponential backoff (in mocked time), cap and jitter, what is never retried, scheduled
// mode, the Retry log line, cancel during backoff, option validation and retryDelay().
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { err, ok } from 'neverthrow';
import * as v from 'valibot';
import { JobAbortError, PermanentJobError, defineJob, retry, type Completion, type JobFailure, type Outcome } from '../../lib/index.ts';
import { compose } from '../../lib/core/engine/compose.ts';
import { retryDelay } from '../../lib/middleware/retry.ts';
import { advance, createHarness, outcomeOfKind, flush, makeContext, resultOf, track } from '../support/pipeline-harness.ts';

const MOCKED = { apis: ['setTimeout', 'Date'] } as const;

/** A job that records the (mocked) time and retry count of every attempt and fails `failures` times. */
function flakyJob(name: string, failures = Infinity, defaults: { maxRetries?: number; baseRetryDelaySeconds?: number } = {}) {
  const attempts: { at: number; retryCount: number }[] = [];
  const job = defineJob({
    name,
    ...defaults,
    run: (_data, ctx) => {
      attempts.push({ at: Date.now(), retryCount: ctx.occurrence.retryCount });
      if (attempts.length <= failures) throw new Error(`attempt ${attempts.length} failed`);
      return `ok after ${attempts.length}`;
    },
  });
  return { job, attempts };
}

describe('retry() in-process', () => {
  it('waits base × 2^retryCount between attempts (100, 200, 400 ms)', async (t) => {
    t.mock.timers.enable(MOCKED);
    const { job, attempts } = flakyJob('BackoffJob');
    const h = createHarness({ jobs: [job], middleware: [retry({ baseDelayMs: 100, maxRetries: 3 })] });
    const outcome = track(h.run('BackoffJob'));
    await advance(t.mock.timers, 99);
    assert.equal(attempts.length, 1, 'the second attempt must wait the full first delay');
    await advance(t.mock.timers, 1);
    assert.equal(attempts.length, 2);
    await advance(t.mock.timers, 700);
    assert.ok(outcome.settled);
    assert.deepEqual(
      attempts.map((a) => a.at),
      [0, 100, 300, 700],
    );
    assert.deepEqual(
      attempts.map((a) => a.retryCount),
      [0, 1, 2, 3],
    );
  });

  it('takes maxRetries and the base delay from the job settings when the options leave them out', async (t) => {
    t.mock.timers.enable(MOCKED);
    const { job, attempts } = flakyJob('SettingsBackoffJob', Infinity, { maxRetries: 2, baseRetryDelaySeconds: 1 });
    const h = createHarness({ jobs: [job], middleware: [retry()] });
    const outcome = track(h.run('SettingsBackoffJob'));
    await advance(t.mock.timers, 3000, 10);
    assert.ok(outcome.settled);
    assert.deepEqual(
      attempts.map((a) => a.at),
      [0, 1000, 3000],
    );
    assert.equal(outcomeOfKind(await outcome.promise, 'failed').retriesExhausted, 2);
  });

  it('counts from the envelope retry count: a delivery already retried twice waits base × 4 and has one retry left', async (t) => {
    t.mock.timers.enable(MOCKED);
    const { job, attempts } = flakyJob('LateBackoffJob');
    const h = createHarness({ jobs: [job], middleware: [retry({ baseDelayMs: 100, maxRetries: 3 })] });
    const outcome = track(h.run('LateBackoffJob', { retryCount: 2 }));
    await advance(t.mock.timers, 1000);
    assert.ok(outcome.settled);
    assert.deepEqual(attempts, [
      { at: 0, retryCount: 2 },
      { at: 400, retryCount: 3 },
    ]);
    assert.equal(outcomeOfKind(await outcome.promise, 'failed').retriesExhausted, 3);
  });

  it('caps each delay at maxDelayMs', async (t) => {
    t.mock.timers.enable(MOCKED);
    const { job, attempts } = flakyJob('CappedJob');
    const h = createHarness({ jobs: [job], middleware: [retry({ baseDelayMs: 100, maxDelayMs: 250, maxRetries: 4 })] });
    const outcome = track(h.run('CappedJob'));
    await advance(t.mock.timers, 800);
    assert.ok(outcome.settled);
    // 100, 200, then 400 and 800 capped at 250.
    assert.deepEqual(
      attempts.map((a) => a.at),
      [0, 100, 300, 550, 800],
    );
  });

  it('randomises each delay downwards by jitter × random()', async (t) => {
    t.mock.timers.enable(MOCKED);
    const { job, attempts } = flakyJob('JitterJob');
    let draws = 0;
    const random = () => {
      draws++;
      return 0.5;
    };
    const h = createHarness({ jobs: [job], middleware: [retry({ baseDelayMs: 100, maxRetries: 2, jitter: 0.5, random })] });
    const outcome = track(h.run('JitterJob'));
    await advance(t.mock.timers, 300);
    assert.ok(outcome.settled);
    // 100 − 100×0.5×0.5 = 75, then 200 − 50 = 150.
    assert.deepEqual(
      attempts.map((a) => a.at),
      [0, 75, 225],
    );
    assert.equal(draws, 2);
    const delays = h.sink.logs().filter((l) => l.category === 'Retry').map((l) => l.data?.['DelaySeconds']);
    assert.deepEqual(delays, [0.075, 0.15]);
  });

  it('succeeds on a later attempt and reports completed', async (t) => {
    t.mock.timers.enable(MOCKED);
    const { job, attempts } = flakyJob('RecoversJob', 2);
    const h = createHarness({ jobs: [job], middleware: [retry({ baseDelayMs: 10, maxRetries: 5 })] });
    const outcome = track(h.run('RecoversJob'));
    await advance(t.mock.timers, 30);
    assert.ok(outcome.settled);
    assert.equal(resultOf(await outcome.promise), 'ok after 3');
    assert.equal(attempts.length, 3);
  });

  it('ends failed with retriesExhausted = maxRetries once the budget is used up', async () => {
    const { job, attempts } = flakyJob('ExhaustedJob');
    const h = createHarness({ jobs: [job], middleware: [retry({ baseDelayMs: 0, maxRetries: 2 })] });
    const failure = outcomeOfKind(await h.run('ExhaustedJob'), 'failed');
    assert.equal(attempts.length, 3);
    assert.equal(failure.retriesExhausted, 2);
    assert.equal(failure.permanent, false);
    assert.match(String(failure.error), /attempt 3 failed/);
  });

  it('with maxRetries 0 runs once and reports retriesExhausted 0', async () => {
    const { job, attempts } = flakyJob('NoRetriesJob');
    const h = createHarness({ jobs: [job], middleware: [retry({ baseDelayMs: 0, maxRetries: 0 })] });
    const failure = outcomeOfKind(await h.run('NoRetriesJob'), 'failed');
    assert.equal(attempts.length, 1);
    assert.equal(failure.retriesExhausted, 0);
    assert.equal(h.sink.logs().filter((l) => l.category === 'Retry').length, 0);
  });

  it('never retries a PermanentJobError', async () => {
    let runs = 0;
    const job = defineJob({
      name: 'PermanentJob',
      run: () => {
        runs++;
        throw new PermanentJobError('bad input');
      },
    });
    const h = createHarness({ jobs: [job], middleware: [retry({ baseDelayMs: 0, maxRetries: 5 })] });
    const failure = outcomeOfKind(await h.run('PermanentJob'), 'failed');
    assert.equal(runs, 1);
    assert.equal(failure.permanent, true);
    assert.equal(failure.retriesExhausted, undefined);
  });

  it("never retries when the job's own retryIf says no", async () => {
    let runs = 0;
    const job = defineJob({
      name: 'JobRetryIfJob',
      retryIf: (error) => !(error instanceof TypeError),
      run: () => {
        runs++;
        throw new TypeError('not retryable');
      },
    });
    const h = createHarness({ jobs: [job], middleware: [retry({ baseDelayMs: 0, maxRetries: 5 })] });
    assert.equal(outcomeOfKind(await h.run('JobRetryIfJob'), 'failed').permanent, true);
    assert.equal(runs, 1);
  });

  it('makes a failure permanent when the retryIf option returns false, and passes it the error and retry count', async () => {
    const { job, attempts } = flakyJob('OptionRetryIfJob');
    const asked: { message: string; retryCount: number }[] = [];
    const h = createHarness({
      jobs: [job],
      middleware: [
        retry({
          baseDelayMs: 0,
          maxRetries: 5,
          retryIf: (error, info) => {
            asked.push({ message: (error as Error).message, retryCount: info.retryCount });
            return info.retryCount < 1;
          },
        }),
      ],
    });
    const failure = outcomeOfKind(await h.run('OptionRetryIfJob'), 'failed');
    assert.equal(failure.permanent, true);
    assert.equal(failure.retriesExhausted, undefined);
    assert.equal(attempts.length, 2);
    assert.deepEqual(asked, [
      { message: 'attempt 1 failed', retryCount: 0 },
      { message: 'attempt 2 failed', retryCount: 1 },
    ]);
  });

  const neverRetried: (JobFailure | Extract<Completion, { kind: 'skipped' }>)[] = [
    { kind: 'invalid-data', issues: ['email: Invalid type'] },
    { kind: 'timed-out', timeoutMs: 1000, elapsedMs: 1000 },
    { kind: 'cancelled', reason: 'stop', source: 'user' },
    { kind: 'skipped', reason: 'maintenance' },
    { kind: 'unknown-job', jobName: 'Nope' },
    { kind: 'failed', error: new Error('permanent'), permanent: true },
  ];
  for (const failure of neverRetried) {
    const label = failure.kind === 'failed' ? 'a permanent failure' : `a ${failure.kind} outcome`;
    it(`returns ${label} as it is, after one attempt and without a Retry line`, async () => {
      const job = defineJob({ name: 'TerminalJob', run: () => undefined });
      let calls = 0;
      const pipeline = compose([retry({ baseDelayMs: 0, maxRetries: 3 })], async (): Promise<Outcome> => {
        calls++;
        return failure.kind === 'skipped' ? ok(failure) : err(failure);
      });
      const { ctx, log } = makeContext(job);
      const outcome = await pipeline(ctx);
      assert.equal(calls, 1);
      assert.deepEqual(outcome.isErr() ? outcome.error : outcome.value, failure);
      assert.equal(log.lines.length, 0);
    });
  }

  it('does not retry invalid job data end to end (the job body never runs)', async () => {
    let runs = 0;
    const job = defineJob({
      name: 'SchemaJob',
      data: v.object({ email: v.string() }),
      run: () => {
        runs++;
      },
    });
    const h = createHarness({ jobs: [job], middleware: [retry({ baseDelayMs: 0, maxRetries: 3 })] });
    const failure = outcomeOfKind(await h.run('SchemaJob', { jobData: '{"email": 42}' }), 'invalid-data');
    assert.equal(failure.issues.length, 1);
    assert.equal(runs, 0);
    assert.equal(h.sink.logs().filter((l) => l.category === 'Retry').length, 0);
  });

  it('writes one Retry line per retry via ctx.log.write, with RetryAttempt, MaxRetries, DelaySeconds and NextRetryTime', async (t) => {
    t.mock.timers.enable(MOCKED);
    const job = defineJob({ name: 'RetryLogJob', run: () => undefined });
    let calls = 0;
    const pipeline = compose([retry({ baseDelayMs: 1500, maxRetries: 2 })], async (): Promise<Outcome> => {
      calls++;
      return err({ kind: 'failed', error: new Error(`boom ${calls}`), permanent: false });
    });
    const { ctx, log } = makeContext(job);
    const outcome = track(pipeline(ctx));
    await advance(t.mock.timers, 4500, 10);
    assert.ok(outcome.settled);
    assert.equal(calls, 3);
    assert.deepEqual(
      log.lines.map((l) => ({ level: l.level, category: l.category, data: l.data })),
      [
        {
          level: 'Warning',
          category: 'Retry',
          data: { RetryAttempt: 1, MaxRetries: 2, DelaySeconds: 1.5, NextRetryTime: new Date(1500).toISOString() },
        },
        {
          level: 'Warning',
          category: 'Retry',
          data: { RetryAttempt: 2, MaxRetries: 2, DelaySeconds: 3, NextRetryTime: new Date(1500 + 3000).toISOString() },
        },
      ],
    );
    assert.match(log.lines[0]?.message ?? '', /retry 1\/2/);
    assert.match(log.lines[0]?.message ?? '', /boom 1/);
    assert.match(log.lines[1]?.message ?? '', /boom 2/);
  });

  it('reaches the sink as a Warning record of category Retry', async () => {
    const now = Date.parse('2026-01-01T00:00:00.000Z');
    const job = defineJob({
      name: 'RetrySinkJob',
      run: () => {
        throw new Error('flaky backend');
      },
    });
    const h = createHarness({ jobs: [job], middleware: [retry({ mode: 'scheduled', baseDelayMs: 2000, maxRetries: 3 })], clock: { now: () => now } });
    const { envelope, outcome } = h.start('RetrySinkJob');
    await outcome;
    const lines = h.sink.logs(envelope.occurrenceId).filter((l) => l.category === 'Retry');
    assert.equal(lines.length, 1);
    assert.equal(lines[0]?.level, 'Warning');
    assert.deepEqual(lines[0]?.data, { RetryAttempt: 1, MaxRetries: 3, DelaySeconds: 2, NextRetryTime: '2026-01-01T00:00:02.000Z' });
    assert.match(lines[0]?.message ?? '', /flaky backend/);
  });

  it('stops when the execution is aborted during the backoff sleep and returns cancelled', async (t) => {
    t.mock.timers.enable(MOCKED);
    const job = defineJob({ name: 'AbortedBackoffJob', run: () => undefined });
    let calls = 0;
    const pipeline = compose([retry({ baseDelayMs: 1000, maxRetries: 5 })], async (): Promise<Outcome> => {
      calls++;
      return err({ kind: 'failed', error: new Error('flaky'), permanent: false });
    });
    const { ctx, abort } = makeContext(job);
    const outcome = track(pipeline(ctx));
    await advance(t.mock.timers, 500);
    assert.equal(calls, 1);
    abort.abort(new JobAbortError('user', 'stop retrying'));
    await flush();
    assert.ok(outcome.settled, 'an abort must end the backoff at once');
    const failure = outcomeOfKind(await outcome.promise, 'cancelled');
    assert.deepEqual(failure, { kind: 'cancelled', reason: 'stop retrying', source: 'user' });
    await advance(t.mock.timers, 60_000, 100);
    assert.equal(calls, 1);
  });

  it('does not start another attempt when the signal is already aborted before the backoff', async () => {
    const job = defineJob({ name: 'PreAbortedJob', run: () => undefined });
    const { ctx, abort } = makeContext(job);
    let calls = 0;
    const pipeline = compose([retry({ baseDelayMs: 0, maxRetries: 5 })], async (): Promise<Outcome> => {
      calls++;
      abort.abort(new JobAbortError('shutdown', 'stopping'));
      return err({ kind: 'failed', error: new Error('flaky'), permanent: false });
    });
    const failure = outcomeOfKind(await pipeline(ctx), 'cancelled');
    assert.equal(failure.source, 'shutdown');
    assert.equal(calls, 1);
  });
});

describe('retry() scheduled mode', () => {
  it('returns a retry-scheduled decision with delayMs and nextRetryCount instead of calling next again', async () => {
    let runs = 0;
    const thrown = new Error('try later');
    const job = defineJob({
      name: 'ScheduledJob',
      run: () => {
        runs++;
        throw thrown;
      },
    });
    const h = createHarness({ jobs: [job], middleware: [retry({ mode: 'scheduled', baseDelayMs: 100, maxRetries: 3 })] });
    const { envelope, outcome } = h.start('ScheduledJob', { retryCount: 2 });
    const failure = outcomeOfKind(await outcome, 'retry-scheduled');
    assert.deepEqual(failure, { kind: 'retry-scheduled', delayMs: 400, nextRetryCount: 3, error: thrown });
    assert.equal(runs, 1);
    // No final status: the transport carries out the retry.
    assert.equal(h.sink.finalStatus(envelope.occurrenceId), undefined);
  });

  it('ends failed with retriesExhausted when the delivery already used the whole budget', async () => {
    const job = defineJob({
      name: 'ScheduledExhaustedJob',
      run: () => {
        throw new Error('still broken');
      },
    });
    const h = createHarness({ jobs: [job], middleware: [retry({ mode: 'scheduled', baseDelayMs: 100, maxRetries: 3 })] });
    const failure = outcomeOfKind(await h.run('ScheduledExhaustedJob', { retryCount: 3 }), 'failed');
    assert.equal(failure.retriesExhausted, 3);
    assert.equal(h.sink.logs().filter((l) => l.category === 'Retry').length, 0);
  });

  it('does not schedule a retry for a permanent failure', async () => {
    const job = defineJob({
      name: 'ScheduledPermanentJob',
      run: () => {
        throw new PermanentJobError('no');
      },
    });
    const h = createHarness({ jobs: [job], middleware: [retry({ mode: 'scheduled', baseDelayMs: 100, maxRetries: 3 })] });
    assert.equal(outcomeOfKind(await h.run('ScheduledPermanentJob'), 'failed').permanent, true);
  });
});

describe('retry() options', () => {
  const invalid: [string, Record<string, unknown>, string][] = [
    ['jitter above 1', { jitter: 2 }, 'jitter'],
    ['negative jitter', { jitter: -0.1 }, 'jitter'],
    ['an unknown key', { attempts: 3 }, 'attempts'],
    ['a fractional maxRetries', { maxRetries: 1.5 }, 'maxRetries'],
    ['a negative baseDelayMs', { baseDelayMs: -1 }, 'baseDelayMs'],
    ['a negative maxDelayMs', { maxDelayMs: -5 }, 'maxDelayMs'],
    ['an unknown mode', { mode: 'later' }, 'mode'],
    ['a retryIf that is not a function', { retryIf: true }, 'retryIf'],
  ];
  for (const [label, options, key] of invalid) {
    it(`throws a TypeError naming "${key}" for ${label}`, () => {
      assert.throws(
        () => retry(options as unknown as Parameters<typeof retry>[0]),
        (error: unknown) => error instanceof TypeError && error.message.includes('retry') && error.message.includes(key),
      );
    });
  }

  it('accepts valid options and returns a named middleware', () => {
    const middleware = retry({ mode: 'scheduled', maxRetries: 0, baseDelayMs: 0, maxDelayMs: 0, jitter: 1, random: () => 0 });
    assert.equal(typeof middleware, 'function');
    assert.equal(middleware.name, 'retry');
  });
});

describe('retryDelay()', () => {
  it('doubles the base delay with each retry', () => {
    assert.deepEqual(
      [0, 1, 2, 3, 4].map((n) => retryDelay(n, 5000)),
      [5000, 10_000, 20_000, 40_000, 80_000],
    );
  });

  it('is zero for a zero base', () => {
    assert.equal(retryDelay(6, 0), 0);
  });

  it('caps the delay at maxDelayMs', () => {
    assert.equal(retryDelay(10, 1000, { maxDelayMs: 30_000 }), 30_000);
    assert.equal(retryDelay(1, 1000, { maxDelayMs: 30_000 }), 2000);
  });

  it('subtracts delay × jitter × random() and rounds to whole ms', () => {
    assert.equal(retryDelay(1, 1000, { jitter: 0.5, random: () => 0.5 }), 1500);
    assert.equal(retryDelay(1, 1000, { jitter: 1, random: () => 0.25 }), 1500);
    assert.equal(retryDelay(0, 1000, { jitter: 0.5, random: () => 0 }), 1000);
    assert.equal(retryDelay(0, 999, { jitter: 1, random: () => 0.9999 }), 0);
    assert.equal(retryDelay(0, 10, { jitter: 0.33, random: () => 0.5 }), 8);
  });

  it('applies jitter after the cap', () => {
    assert.equal(retryDelay(5, 1000, { maxDelayMs: 4000, jitter: 0.5, random: () => 1 }), 2000);
  });

  it('ignores random when jitter is 0', () => {
    let draws = 0;
    assert.equal(
      retryDelay(2, 100, {
        jitter: 0,
        random: () => {
          draws++;
          return 0.9;
        },
      }),
      400,
    );
    assert.equal(draws, 0);
  });

  it('stays within [delay × (1 − jitter), delay] with the default Math.random', () => {
    for (let i = 0; i < 50; i++) {
      const d = retryDelay(3, 100, { jitter: 0.25 });
      assert.ok(d >= 600 && d <= 800, `delay ${d} out of range`);
    }
  });
});
