// Specs of filter(): before hooks may skip or fail an execution, after hooks observe the outcome without
// changing it, and `jobs` limits a filter to named jobs.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ok } from 'neverthrow';
import { JobStatus, defineJob, filter, retry, type ExecutionContext, type Outcome } from '../../lib/index.ts';
import { compose } from '../../lib/core/engine/compose.ts';
import { createHarness, outcomeOfKind, makeContext, resultOf } from '../support/pipeline-harness.ts';

/** A job that counts its runs and returns `result`. */
function countingJob(name: string, result: unknown = 'ran') {
  const state = { runs: 0 };
  const job = defineJob({
    name,
    run: () => {
      state.runs++;
      return result;
    },
  });
  return { job, state };
}

describe('filter()', () => {
  it('skips the job with the reason a before hook returns', async () => {
    const { job, state } = countingJob('SkippedJob');
    const h = createHarness({ jobs: [job], middleware: [filter({ before: () => ({ skip: 'maintenance window' }) })] });
    const { envelope, outcome } = h.start('SkippedJob');
    assert.deepEqual(outcomeOfKind(await outcome, 'skipped'), { kind: 'skipped', reason: 'maintenance window' });
    assert.equal(state.runs, 0);
    const final = h.sink.finalStatus(envelope.occurrenceId);
    assert.equal(final?.status, JobStatus.Cancelled);
    assert.match(final?.result ?? '', /maintenance window/);
    const line = h.sink.logs(envelope.occurrenceId).find((l) => l.category === 'Execution');
    assert.equal(line?.level, 'Information');
    assert.match(line?.message ?? '', /skipped by a filter: maintenance window/);
  });

  it('accepts an async before hook and lets the job run when it returns nothing', async () => {
    const { job, state } = countingJob('AllowedJob', 42);
    const seen: ExecutionContext[] = [];
    const h = createHarness({
      jobs: [job],
      middleware: [
        filter({
          before: async (ctx) => {
            seen.push(ctx);
          },
        }),
      ],
    });
    const { envelope, outcome } = h.start('AllowedJob');
    assert.equal(resultOf(await outcome), 42);
    assert.equal(state.runs, 1);
    assert.equal(seen[0]?.envelope.occurrenceId, envelope.occurrenceId);
  });

  it('skips on an async before hook that resolves to a skip decision', async () => {
    const { job, state } = countingJob('AsyncSkipJob');
    const h = createHarness({ jobs: [job], middleware: [filter({ before: async () => ({ skip: 'duplicate' }) })] });
    assert.equal(outcomeOfKind(await h.run('AsyncSkipJob'), 'skipped').reason, 'duplicate');
    assert.equal(state.runs, 0);
  });

  it('turns a throwing before hook into a failed outcome without running the job', async () => {
    const { job, state } = countingJob('BeforeThrowsJob');
    const boom = new Error('quota service down');
    const h = createHarness({
      jobs: [job],
      middleware: [
        filter({
          before: () => {
            throw boom;
          },
        }),
      ],
    });
    const { envelope, outcome } = h.start('BeforeThrowsJob');
    const failure = outcomeOfKind(await outcome, 'failed');
    assert.equal(failure.error, boom);
    assert.equal(failure.permanent, false);
    assert.equal(state.runs, 0);
    assert.equal(h.sink.finalStatus(envelope.occurrenceId)?.status, JobStatus.Failed);
  });

  it('resolves with the failure instead of rejecting, so outer layers see an outcome', async () => {
    const { job } = countingJob('BeforeThrowsComposedJob');
    const boom = new Error('hook bug');
    let terminalCalls = 0;
    const pipeline = compose(
      [
        filter({
          before: () => {
            throw boom;
          },
        }),
      ],
      async (): Promise<Outcome> => {
        terminalCalls++;
        return ok({ kind: 'completed', result: undefined });
      },
    );
    const outcome = await pipeline(makeContext(job).ctx);
    assert.deepEqual(outcomeOfKind(outcome, 'failed'), { kind: 'failed', error: boom, permanent: false });
    assert.equal(terminalCalls, 0);
  });

  it('turns a rejecting async before hook into a failed outcome too', async () => {
    const { job, state } = countingJob('BeforeRejectsJob');
    const h = createHarness({ jobs: [job], middleware: [filter({ before: () => Promise.reject(new Error('nope')) })] });
    assert.match(String(outcomeOfKind(await h.run('BeforeRejectsJob'), 'failed').error), /nope/);
    assert.equal(state.runs, 0);
  });

  it('shows the after hook the outcome, after the job ran', async () => {
    const events: string[] = [];
    const seen: Outcome[] = [];
    const job = defineJob({
      name: 'ObservedJob',
      run: () => {
        events.push('job');
        return { sent: 3 };
      },
    });
    const h = createHarness({
      jobs: [job],
      middleware: [
        filter({
          before: () => {
            events.push('before');
          },
          after: (_ctx, outcome) => {
            events.push('after');
            seen.push(outcome);
          },
        }),
      ],
    });
    await h.run('ObservedJob');
    assert.deepEqual(events, ['before', 'job', 'after']);
    assert.equal(seen.length, 1);
    assert.deepEqual(resultOf(seen[0]!), { sent: 3 });
  });

  it('shows the after hook a failure as well', async () => {
    const seen: Outcome[] = [];
    const job = defineJob({
      name: 'ObservedFailureJob',
      run: () => {
        throw new Error('kaput');
      },
    });
    const h = createHarness({ jobs: [job], middleware: [filter({ after: (_ctx, outcome) => void seen.push(outcome) })] });
    await h.run('ObservedFailureJob');
    assert.match(String(outcomeOfKind(seen[0]!, 'failed').error), /kaput/);
  });

  it('keeps the outcome when an after hook throws, and reports the throw on the technical logger', async () => {
    const { job } = countingJob('AfterThrowsJob', 'kept');
    const h = createHarness({
      jobs: [job],
      middleware: [
        filter({
          after: () => {
            throw new Error('observer bug');
          },
        }),
      ],
    });
    const { envelope, outcome } = h.start('AfterThrowsJob');
    assert.equal(resultOf(await outcome), 'kept');
    assert.equal(h.sink.finalStatus(envelope.occurrenceId)?.status, JobStatus.Completed);
    const line = h.logger.lines.find((l) => l.level === 'error' && l.message.includes('after hook'));
    assert.ok(line !== undefined, 'the after hook failure is logged');
    assert.match(String(line.args[0]), /observer bug/);
  });

  it('keeps a failed outcome when an async after hook rejects', async () => {
    const job = defineJob({
      name: 'AfterRejectsJob',
      run: () => {
        throw new Error('original');
      },
    });
    const h = createHarness({ jobs: [job], middleware: [filter({ after: () => Promise.reject(new Error('observer bug')) })] });
    assert.match(String(outcomeOfKind(await h.run('AfterRejectsJob'), 'failed').error), /original/);
  });

  it('applies only to the jobs named in `jobs`, case-insensitively', async () => {
    const a = countingJob('ReportJob');
    const b = countingJob('EmailJob');
    let afterCalls = 0;
    const h = createHarness({
      jobs: [a.job, b.job],
      middleware: [filter({ jobs: ['REPORTjob'], before: () => ({ skip: 'reports paused' }), after: () => void afterCalls++ })],
    });
    assert.equal(outcomeOfKind(await h.run('ReportJob'), 'skipped').reason, 'reports paused');
    assert.equal(outcomeOfKind(await h.run('reportJOB'), 'skipped').reason, 'reports paused');
    assert.equal(resultOf(await h.run('EmailJob')), 'ran');
    assert.equal(a.state.runs, 0);
    assert.equal(b.state.runs, 1);
    assert.equal(afterCalls, 0, 'neither hook runs for a job the filter does not name');
  });

  it('applies to every job when `jobs` is absent', async () => {
    const a = countingJob('FirstJob');
    const b = countingJob('SecondJob');
    const h = createHarness({ jobs: [a.job, b.job], middleware: [filter({ before: () => ({ skip: 'all paused' }) })] });
    outcomeOfKind(await h.run('FirstJob'), 'skipped');
    outcomeOfKind(await h.run('SecondJob'), 'skipped');
    assert.equal(a.state.runs + b.state.runs, 0);
  });

  it('outside retry, runs its hooks once per occurrence however many attempts there are', async () => {
    let attempts = 0;
    const job = defineJob({
      name: 'RetriedFilteredJob',
      run: () => {
        attempts++;
        throw new Error('flaky');
      },
    });
    const calls = { before: 0, after: 0 };
    const h = createHarness({
      jobs: [job],
      middleware: [filter({ before: () => void calls.before++, after: () => void calls.after++ }), retry({ baseDelayMs: 0, maxRetries: 2 })],
    });
    outcomeOfKind(await h.run('RetriedFilteredJob'), 'failed');
    assert.equal(attempts, 3);
    assert.deepEqual(calls, { before: 1, after: 1 });
  });

  it('rejects invalid options with a TypeError naming the key', () => {
    for (const [options, key] of [
      [{ before: 'skip' }, 'before'],
      [{ after: 1 }, 'after'],
      [{ jobs: 'ReportJob' }, 'jobs'],
      [{ around: () => undefined }, 'around'],
    ] as const) {
      assert.throws(
        () => filter(options as unknown as Parameters<typeof filter>[0]),
        (error: unknown) => error instanceof TypeError && error.message.includes('filter') && error.message.includes(key),
      );
    }
  });
});
