// Specs of the outcome constructors a middleware returns (completed, skipped, failed): each builds the outcome
// the executor maps to the expected final status, and two example middleware written as a user would write
// them, with nothing but the package's exports (no neverthrow import).
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { JobStatus, completed, defineJob, failed, retry, skipped, type ExecutionContext, type Middleware, type Next, type Outcome } from '../../lib/index.ts';
import { type Clock } from '../../lib/core/vocabulary/ports.ts';
import { createHarness } from '../support/pipeline-harness.ts';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));

/** The files under `dir` (relative to the root) whose names match `pattern`. */
function filesUnder(dir: string, pattern: RegExp): string[] {
  return readdirSync(path.join(ROOT, dir), { withFileTypes: true, recursive: true })
    .filter((e) => e.isFile() && pattern.test(e.name))
    .map((e) => path.relative(ROOT, path.join(e.parentPath, e.name)));
}

/** Example: skips a job while its feature flag is off; the occurrence ends Cancelled with the reason. */
function featureFlag(isOn: (jobName: string) => boolean): Middleware {
  return async function featureFlag(ctx: ExecutionContext, next: Next): Promise<Outcome> {
    if (!isOn(ctx.envelope.jobName)) return skipped(`the feature flag of ${ctx.envelope.jobName} is off`);
    return next();
  };
}

/** Example: times each attempt and writes how it ended, with its duration, to the occurrence's log. */
function timing(): Middleware {
  return async function timing(ctx, next) {
    const started = ctx.clock.now();
    const outcome = await next();
    const ended = outcome.match(
      (completion) => completion.kind,
      (failure) => failure.kind,
    );
    const durationMs = ctx.clock.now() - started;
    ctx.log.info(`Attempt ${ctx.retryCount} ended ${ended} after ${durationMs} ms`, { Outcome: ended, DurationMs: durationMs });
    return outcome;
  };
}

/** A job that counts its runs and returns `{ ran: runs }`. */
function countingJob(name: string) {
  const state = { runs: 0 };
  const job = defineJob({
    name,
    run: () => {
      state.runs++;
      return { ran: state.runs };
    },
  });
  return { job, state };
}

/** A middleware that returns `outcome` without running the job. */
const answer = (outcome: Outcome): Middleware =>
  async function answer() {
    return outcome;
  };

describe('the outcome constructors', () => {
  it('build the plain outcome values, without a retriesExhausted key on a first failure', () => {
    const error = new Error('boom');
    assert.deepEqual(completed({ id: 7 })._unsafeUnwrap(), { kind: 'completed', result: { id: 7 } });
    assert.deepEqual(completed()._unsafeUnwrap(), { kind: 'completed', result: undefined });
    assert.deepEqual(skipped('off')._unsafeUnwrap(), { kind: 'skipped', reason: 'off' });
    assert.deepEqual(failed(error)._unsafeUnwrapErr(), { kind: 'failed', error, permanent: false });
    assert.deepEqual(failed(error, { permanent: true, retriesExhausted: 2 })._unsafeUnwrapErr(), {
      kind: 'failed',
      error,
      permanent: true,
      retriesExhausted: 2,
    });
  });

  it('completed(result) ends the occurrence Completed with that result, without running the job', async () => {
    const { job, state } = countingJob('CachedJob');
    const h = createHarness({ jobs: [job], middleware: [answer(completed({ cached: true }))] });
    const { envelope, outcome } = h.start('CachedJob');
    assert.equal((await outcome).isOk(), true);
    const final = h.sink.finalStatus(envelope.occurrenceId);
    assert.equal(final?.status, JobStatus.Completed);
    assert.equal(final?.result, '{"cached":true}');
    assert.equal(state.runs, 0);
  });

  it('skipped(reason) ends the occurrence Cancelled with "Job skipped: <reason>" and no exception', async () => {
    const { job, state } = countingJob('SkippedJob');
    const h = createHarness({ jobs: [job], middleware: [answer(skipped('maintenance window'))] });
    const { envelope, outcome } = h.start('SkippedJob');
    await outcome;
    const final = h.sink.finalStatus(envelope.occurrenceId);
    assert.equal(final?.status, JobStatus.Cancelled);
    assert.equal(final?.result, 'Job skipped: maintenance window');
    assert.equal(final?.exception, null);
    assert.equal(state.runs, 0);
  });

  it('failed(error) ends the occurrence Failed with the exception text', async () => {
    const { job } = countingJob('FailedJob');
    const h = createHarness({ jobs: [job], middleware: [answer(failed(new Error('quota service down')))] });
    const { envelope, outcome } = h.start('FailedJob');
    await outcome;
    const final = h.sink.finalStatus(envelope.occurrenceId);
    assert.equal(final?.status, JobStatus.Failed);
    assert.match(final?.exception ?? '', /quota service down/);
  });

  it('failed(error) is retried by retry(), and a later attempt may complete', async () => {
    const { job, state } = countingJob('FlakyGateJob');
    let attempts = 0;
    const flakyGate: Middleware = async function flakyGate(_ctx, next) {
      attempts++;
      return attempts === 1 ? failed(new Error('not yet')) : next();
    };
    const h = createHarness({ jobs: [job], middleware: [retry({ maxRetries: 2, baseDelayMs: 0 }), flakyGate] });
    const { envelope, outcome } = h.start('FlakyGateJob');
    await outcome;
    assert.equal(attempts, 2);
    assert.equal(state.runs, 1);
    assert.equal(h.sink.finalStatus(envelope.occurrenceId)?.status, JobStatus.Completed);
  });

  it('failed(error, { permanent: true }) is not retried', async () => {
    const { job } = countingJob('PermanentGateJob');
    let attempts = 0;
    const refuse: Middleware = async function refuse() {
      attempts++;
      return failed(new Error('account closed'), { permanent: true });
    };
    const h = createHarness({ jobs: [job], middleware: [retry({ maxRetries: 3, baseDelayMs: 0 }), refuse] });
    const { envelope, outcome } = h.start('PermanentGateJob');
    await outcome;
    assert.equal(attempts, 1);
    const final = h.sink.finalStatus(envelope.occurrenceId);
    assert.equal(final?.status, JobStatus.Failed);
    assert.match(final?.exception ?? '', /account closed/);
    assert.doesNotMatch(final?.exception ?? '', /Max retries/);
  });

  it('failed(error, { retriesExhausted }) says how many retries were made', async () => {
    const { job } = countingJob('ExhaustedJob');
    const h = createHarness({ jobs: [job], middleware: [answer(failed(new Error('still down'), { retriesExhausted: 4 }))] });
    const { envelope, outcome } = h.start('ExhaustedJob');
    await outcome;
    assert.match(h.sink.finalStatus(envelope.occurrenceId)?.exception ?? '', /^Max retries \(4\) exceeded\. Original exception: [^]*Message: still down/);
  });
});

describe('example middleware written with the package alone', () => {
  it('featureFlag() skips a job whose flag is off and runs the others', async () => {
    const off = countingJob('NewBillingJob');
    const on = countingJob('SendEmailJob');
    const h = createHarness({ jobs: [off.job, on.job], middleware: [featureFlag((name) => name !== 'NewBillingJob')] });
    const skippedRun = h.start('NewBillingJob');
    const ranRun = h.start('SendEmailJob');
    await Promise.all([skippedRun.outcome, ranRun.outcome]);
    const skippedFinal = h.sink.finalStatus(skippedRun.envelope.occurrenceId);
    assert.equal(skippedFinal?.status, JobStatus.Cancelled);
    assert.equal(skippedFinal?.result, 'Job skipped: the feature flag of NewBillingJob is off');
    assert.equal(off.state.runs, 0);
    assert.equal(h.sink.finalStatus(ranRun.envelope.occurrenceId)?.status, JobStatus.Completed);
    assert.equal(on.state.runs, 1);
  });

  it('timing() logs each attempt with how it ended and its duration, and returns the outcome unchanged', async () => {
    let now = 1_000;
    const clock: Clock = { now: () => now };
    const slow = defineJob({
      name: 'SlowJob',
      run: () => {
        now += 250;
        return 'done';
      },
    });
    const h = createHarness({ jobs: [slow], middleware: [timing()], clock });
    const { envelope, outcome } = h.start('SlowJob');
    assert.equal((await outcome).isOk(), true);
    const line = h.sink.logs(envelope.occurrenceId).find((l) => l.message.startsWith('Attempt'));
    assert.equal(line?.message, 'Attempt 0 ended completed after 250 ms');
    assert.deepEqual(line?.data, { Outcome: 'completed', DurationMs: 250 });
    assert.equal(h.sink.finalStatus(envelope.occurrenceId)?.result, 'done');
  });

  it('timing() names a failure kind read from the outcome', async () => {
    const broken = defineJob({
      name: 'BrokenJob',
      run: () => {
        throw new Error('nope');
      },
    });
    const h = createHarness({ jobs: [broken], middleware: [timing()] });
    const { envelope, outcome } = h.start('BrokenJob');
    await outcome;
    const line = h.sink.logs(envelope.occurrenceId).find((l) => l.message.startsWith('Attempt'));
    assert.match(line?.message ?? '', /^Attempt 0 ended failed after \d+ ms$/);
    assert.equal(h.sink.finalStatus(envelope.occurrenceId)?.status, JobStatus.Failed);
  });
});

describe('user code', () => {
  it('imports nothing from neverthrow: the samples and the code of README.md and docs/ use the package alone', () => {
    const files = ['README.md', ...filesUnder('docs', /\.md$/), ...filesUnder('samples', /\.(ts|mts|cts|js|mjs)$/)];
    assert.ok(files.length > 20, `${files.length} files`);
    const importing = files.filter((file) => /from\s+['"]neverthrow['"]|import\(\s*['"]neverthrow['"]/.test(readFileSync(path.join(ROOT, file), 'utf8')));
    assert.deepEqual(importing, []);
  });
});
