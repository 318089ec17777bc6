// Specs of timeout(): the deadline holds even when the job ignores its signal, late results are discarded,
// the abort reason says 'timeout', 0 disables it, settings supply the budget, and inside retry each attempt
// gets its own budget.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { JobAbortError, JobStatus, defineJob, retry, timeout } from '../../lib/index.ts';
import { advance, createHarness, outcomeOfKind, resultOf, track } from '../support/pipeline-harness.ts';

const MOCKED = { apis: ['setTimeout', 'Date'] } as const;

/** A job that resolves with 'late result' after `ms` of (mocked) time and never looks at its signal. */
function stubbornJob(name: string, ms: number, defaults: { executionTimeoutSeconds?: number } = {}) {
  const signals: AbortSignal[] = [];
  let finished = 0;
  const job = defineJob({
    name,
    ...defaults,
    run: (_data, ctx) => {
      signals.push(ctx.signal);
      return new Promise<string>((resolve) =>
        setTimeout(() => {
          finished++;
          resolve('late result');
        }, ms),
      );
    },
  });
  return {
    job,
    signals,
    get finished() {
      return finished;
    },
  };
}

describe('timeout()', () => {
  it('ends timed-out at the deadline even though the job ignores its signal', async (t) => {
    t.mock.timers.enable(MOCKED);
    const stub = stubbornJob('StubbornJob', 5000);
    const h = createHarness({ jobs: [stub.job], middleware: [timeout({ ms: 1000 })] });
    const outcome = track(h.run('StubbornJob'));
    await advance(t.mock.timers, 999);
    assert.equal(outcome.settled, false);
    await advance(t.mock.timers, 1);
    assert.ok(outcome.settled, 'the outcome must not wait for the job');
    assert.equal(stub.finished, 0);
    assert.deepEqual(outcomeOfKind(await outcome.promise, 'timed-out'), { kind: 'timed-out', timeoutMs: 1000, elapsedMs: 1000 });
  });

  it("does not let the job's late result overwrite the timed-out outcome", async (t) => {
    t.mock.timers.enable(MOCKED);
    const stub = stubbornJob('LateJob', 3000);
    const h = createHarness({ jobs: [stub.job], middleware: [timeout({ ms: 1000 })] });
    const { envelope, outcome } = h.start('LateJob');
    await advance(t.mock.timers, 1000, 10);
    outcomeOfKind(await outcome, 'timed-out');
    await advance(t.mock.timers, 3000, 10);
    assert.equal(stub.finished, 1, 'the job did run to its end');
    const finals = h.sink.statuses(envelope.occurrenceId).filter((s) => s.phase === 'final');
    assert.equal(finals.length, 1);
    assert.equal(finals[0]?.status, JobStatus.TimedOut);
    assert.equal(finals[0]?.result, null);
    assert.ok(
      h.logger.messages('warn').some((m) => m.includes(envelope.occurrenceId) && /discarded/.test(m)),
      'the late result is noted on the technical logger',
    );
  });

  it("aborts the job's signal with a JobAbortError whose source is 'timeout'", async (t) => {
    t.mock.timers.enable(MOCKED);
    const stub = stubbornJob('SignalJob', 5000);
    const h = createHarness({ jobs: [stub.job], middleware: [timeout({ ms: 2000 })] });
    const { envelope, outcome } = h.start('SignalJob');
    await advance(t.mock.timers, 1999, 10);
    const signal = stub.signals[0];
    assert.ok(signal !== undefined);
    assert.equal(signal.aborted, false);
    await advance(t.mock.timers, 1);
    assert.equal(signal.aborted, true);
    const reason: unknown = signal.reason;
    assert.ok(reason instanceof JobAbortError);
    assert.equal(reason.source, 'timeout');
    assert.equal(reason.timeoutMs, 2000);
    assert.match(reason.message, /2 seconds/);
    await outcome;
    const line = h.sink.logs(envelope.occurrenceId).find((l) => l.category === 'Execution' && l.level === 'Error');
    assert.match(line?.message ?? '', /exceeded timeout limit of 2 seconds/);
  });

  it('lets a job that finishes in time complete, and never aborts its signal afterwards', async (t) => {
    t.mock.timers.enable(MOCKED);
    const stub = stubbornJob('QuickJob', 500);
    const h = createHarness({ jobs: [stub.job], middleware: [timeout({ ms: 1000 })] });
    const outcome = track(h.run('QuickJob'));
    await advance(t.mock.timers, 500);
    assert.ok(outcome.settled);
    assert.equal(resultOf(await outcome.promise), 'late result');
    await advance(t.mock.timers, 2000, 10);
    assert.equal(stub.signals[0]?.aborted, false, 'the deadline timer is cleared once the attempt ends');
  });

  it('is disabled by ms: 0, even when the job settings have a timeout', async (t) => {
    t.mock.timers.enable(MOCKED);
    const stub = stubbornJob('NoTimeoutJob', 10_000, { executionTimeoutSeconds: 1 });
    const h = createHarness({ jobs: [stub.job], middleware: [timeout({ ms: 0 })] });
    const outcome = track(h.run('NoTimeoutJob'));
    await advance(t.mock.timers, 10_000, 100);
    assert.ok(outcome.settled);
    assert.equal(resultOf(await outcome.promise), 'late result');
    assert.equal(stub.signals[0]?.aborted, false);
  });

  it('is disabled when the settings say 0 and no option is given', async (t) => {
    t.mock.timers.enable(MOCKED);
    const stub = stubbornJob('ZeroSettingJob', 10_000, { executionTimeoutSeconds: 0 });
    const h = createHarness({ jobs: [stub.job], middleware: [timeout()] });
    const outcome = track(h.run('ZeroSettingJob'));
    await advance(t.mock.timers, 10_000, 100);
    assert.equal(resultOf(await outcome.promise), 'late result');
  });

  it('uses settings.timeoutMs (the job’s executionTimeoutSeconds) when no option is given', async (t) => {
    t.mock.timers.enable(MOCKED);
    const stub = stubbornJob('SettingsTimeoutJob', 10_000, { executionTimeoutSeconds: 2 });
    const h = createHarness({ jobs: [stub.job], middleware: [timeout()] });
    const outcome = track(h.run('SettingsTimeoutJob'));
    await advance(t.mock.timers, 1999, 10);
    assert.equal(outcome.settled, false);
    await advance(t.mock.timers, 1);
    assert.ok(outcome.settled);
    assert.equal(outcomeOfKind(await outcome.promise, 'timed-out').timeoutMs, 2000);
  });

  it("uses the message's executionTimeoutSeconds over the job's default", async (t) => {
    t.mock.timers.enable(MOCKED);
    const stub = stubbornJob('MessageTimeoutJob', 10_000, { executionTimeoutSeconds: 5 });
    const h = createHarness({ jobs: [stub.job], middleware: [timeout()] });
    const outcome = track(h.run('MessageTimeoutJob', { executionTimeoutSeconds: 1 }));
    await advance(t.mock.timers, 1000, 10);
    assert.ok(outcome.settled);
    assert.equal(outcomeOfKind(await outcome.promise, 'timed-out').timeoutMs, 1000);
  });

  it('prefers the ms option over the settings', async (t) => {
    t.mock.timers.enable(MOCKED);
    const stub = stubbornJob('OptionTimeoutJob', 10_000, { executionTimeoutSeconds: 5 });
    const h = createHarness({ jobs: [stub.job], middleware: [timeout({ ms: 300 })] });
    const outcome = track(h.run('OptionTimeoutJob'));
    await advance(t.mock.timers, 300);
    assert.ok(outcome.settled);
    assert.equal(outcomeOfKind(await outcome.promise, 'timed-out').timeoutMs, 300);
  });

  it('rejects invalid options with a TypeError naming the key', () => {
    for (const [options, key] of [
      [{ ms: -1 }, 'ms'],
      [{ ms: 1.5 }, 'ms'],
      [{ seconds: 3 }, 'seconds'],
    ] as const) {
      assert.throws(
        () => timeout(options as unknown as Parameters<typeof timeout>[0]),
        (error: unknown) => error instanceof TypeError && error.message.includes('timeout') && error.message.includes(key),
      );
    }
  });
});

describe('timeout() inside retry (the default order)', () => {
  it('gives every attempt its own full budget', async (t) => {
    t.mock.timers.enable(MOCKED);
    const starts: number[] = [];
    const job = defineJob({
      name: 'PerAttemptJob',
      run: async () => {
        starts.push(Date.now());
        // Attempt 1 uses 900 of its 1000 ms, then fails; attempt 2 needs 950 ms, more than is left of a
        // shared budget but within a fresh one.
        const attempt = starts.length;
        await new Promise((resolve) => setTimeout(resolve, attempt === 1 ? 900 : 950));
        if (attempt === 1) throw new Error('transient');
        return 'second attempt finished';
      },
    });
    const h = createHarness({ jobs: [job], middleware: [retry({ baseDelayMs: 100, maxRetries: 1 }), timeout({ ms: 1000 })] });
    const outcome = track(h.run('PerAttemptJob'));
    await advance(t.mock.timers, 1950, 10);
    assert.ok(outcome.settled);
    assert.equal(resultOf(await outcome.promise), 'second attempt finished');
    assert.deepEqual(starts, [0, 1000]);
  });

  it('times out a hanging second attempt a full budget after it started', async (t) => {
    t.mock.timers.enable(MOCKED);
    const signals: AbortSignal[] = [];
    const job = defineJob({
      name: 'HangingRetryJob',
      run: (_data, ctx) => {
        signals.push(ctx.signal);
        if (signals.length === 1) throw new Error('fails fast');
        return new Promise<never>(() => {});
      },
    });
    const h = createHarness({ jobs: [job], middleware: [retry({ baseDelayMs: 100, maxRetries: 1 }), timeout({ ms: 1000 })] });
    const outcome = track(h.run('HangingRetryJob'));
    await advance(t.mock.timers, 1099, 10);
    assert.equal(signals.length, 2);
    assert.equal(outcome.settled, false, 'attempt 2 started at 100 ms and has until 1100 ms');
    await advance(t.mock.timers, 1);
    assert.ok(outcome.settled);
    assert.equal(outcomeOfKind(await outcome.promise, 'timed-out').timeoutMs, 1000);
    assert.equal(signals[1]?.aborted, true);
  });

  it('contrast: timeout outside retry shares one budget across attempts', async (t) => {
    t.mock.timers.enable(MOCKED);
    let runs = 0;
    const job = defineJob({
      name: 'SharedBudgetJob',
      run: async () => {
        runs++;
        await new Promise((resolve) => setTimeout(resolve, runs === 1 ? 900 : 950));
        if (runs === 1) throw new Error('transient');
        return 'never in time';
      },
    });
    const h = createHarness({ jobs: [job], middleware: [timeout({ ms: 1000 }), retry({ baseDelayMs: 50, maxRetries: 1 })] });
    const outcome = track(h.run('SharedBudgetJob'));
    await advance(t.mock.timers, 1000, 10);
    assert.ok(outcome.settled);
    outcomeOfKind(await outcome.promise, 'timed-out');
    assert.equal(runs, 2);
  });
});
