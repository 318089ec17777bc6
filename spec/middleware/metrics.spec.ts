// Specs of metrics(): jobs driven through createExecutor and a memory sink land in the registry with the
// right job and outcome labels and durations, outcomes pass through unchanged, the running gauge follows
// executions, and options are validated.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ok } from 'neverthrow';
import * as v from 'valibot';
import { defaultMiddleware, defineJob, filter, JobAbortError, PermanentJobError, retry, timeout, type AnyJobDefinition, type JobEnvelope, type Middleware, type Outcome } from '../../lib/index.ts';
import { compose } from '../../lib/core/engine/compose.ts';
import { createExecutor } from '../../lib/core/engine/create-executor.ts';
import { createMemorySink } from '../../lib/transports/memory/create-memory-sink.ts';
import { createMetrics, type Metrics } from '../../lib/host/health/create-metrics.ts';
import { metrics, UNKNOWN_JOB_LABEL } from '../../lib/middleware/metrics.ts';
import { makeEnvelope } from '../support/envelopes.ts';
import { captureLogger } from '../support/loggers.ts';
import { parsePrometheusText, type ParsedExposition } from '../support/parse-prometheus-text.ts';
import { advance, dateClock, makeContext, track } from '../support/pipeline-harness.ts';

/** The registry's exposition, parsed strictly. */
async function scrape(m: Metrics): Promise<ParsedExposition> {
  return parsePrometheusText(await m.render());
}

/** An executor over a memory sink whose pipeline is the registry's metrics middleware, then `inner`. */
function setup(jobs: readonly AnyJobDefinition[], inner: readonly Middleware[] = []) {
  const registry = createMetrics();
  const sink = createMemorySink();
  const executor = createExecutor({ jobs, middleware: [registry.middleware(), ...inner], sink, logger: captureLogger(), clock: dateClock });
  const run = (jobName: string, overrides: Partial<JobEnvelope> = {}) => executor.execute(makeEnvelope(jobName, overrides));
  return { registry, sink, executor, run };
}

const total = async (m: Metrics, job: string, outcome: string) => (await scrape(m)).value('milvaion_worker_jobs_total', { job, outcome });

describe('metrics()', () => {
  it('counts completed and failed executions per job, and sends the same final statuses as without it', async () => {
    const fine = defineJob({ name: 'FineJob', run: () => 'done' });
    const broken = defineJob({
      name: 'BrokenJob',
      run: () => {
        throw new PermanentJobError('nope');
      },
    });
    const { registry, sink, run } = setup([fine, broken]);
    for (let i = 0; i < 3; i++) assert.ok((await run('FineJob')).isOk());
    const failed = await run('BrokenJob');
    assert.equal(failed.isErr() && failed.error.kind, 'failed');
    assert.equal(await total(registry, 'FineJob', 'completed'), 3);
    assert.equal(await total(registry, 'FineJob', 'failed'), 0);
    assert.equal(await total(registry, 'BrokenJob', 'failed'), 1);
    assert.equal(sink.statuses().filter((s) => s.phase === 'final').length, 4);
    assert.equal((await scrape(registry)).value('milvaion_worker_job_duration_seconds_count', { job: 'FineJob' }), 3);
  });

  it('labels every outcome kind: invalid_data, unknown_job, skipped, retry_scheduled, cancelled', async () => {
    const typed = defineJob({ name: 'TypedJob', data: v.object({ n: v.number() }), run: () => undefined });
    const skippy = defineJob({ name: 'SkippyJob', run: () => undefined });
    const flaky = defineJob({
      name: 'FlakyJob',
      run: () => {
        throw new Error('flaky');
      },
    });
    const cancelled = defineJob({
      name: 'CancelledJob',
      run: (_d, ctx) => {
        ctx.signal.throwIfAborted();
      },
    });
    const skip = filter({ jobs: ['SkippyJob'], before: () => ({ skip: 'paused' }) });
    const abortFirst: Middleware = async function abortFirst(ctx, next) {
      if (ctx.envelope.jobName === 'CancelledJob') ctx.abort.abort(new JobAbortError('user', 'by Ann'));
      return next();
    };
    const { registry, run } = setup([typed, skippy, flaky, cancelled], [skip, abortFirst, retry({ mode: 'scheduled', baseDelayMs: 1000 })]);
    await run('TypedJob', { jobData: '{"n":"not a number"}' });
    await run('GhostJob');
    await run('SkippyJob');
    await run('FlakyJob');
    await run('CancelledJob');
    assert.equal(await total(registry, 'TypedJob', 'invalid_data'), 1);
    assert.equal(await total(registry, UNKNOWN_JOB_LABEL, 'unknown_job'), 1, 'an unknown name from a message is not a label value');
    assert.ok(!(await registry.render()).includes('GhostJob'));
    assert.equal(await total(registry, 'SkippyJob', 'skipped'), 1);
    assert.equal(await total(registry, 'FlakyJob', 'retry_scheduled'), 1);
    assert.equal(await total(registry, 'CancelledJob', 'cancelled'), 1);
  });

  it('measures the duration with the context clock and records timed_out', async (t) => {
    t.mock.timers.enable({ apis: ['setTimeout', 'Date'] });
    const slow = defineJob({ name: 'SlowJob', run: () => new Promise((resolve) => setTimeout(resolve, 1500)) });
    const stuck = defineJob({ name: 'StuckJob', run: () => new Promise(() => {}) });
    const { registry, run } = setup([slow, stuck], [timeout({ ms: 3000 })]);
    const first = track(run('SlowJob'));
    await advance(t.mock.timers, 1500, 100);
    assert.ok(first.settled);
    const second = track(run('StuckJob'));
    await advance(t.mock.timers, 3000, 100);
    assert.ok(second.settled);
    const x = await scrape(registry);
    const bucket = (job: string, le: string) => x.value('milvaion_worker_job_duration_seconds_bucket', { job, le });
    assert.equal(bucket('SlowJob', '1'), 0);
    assert.equal(bucket('SlowJob', '2.5'), 1);
    assert.equal(x.value('milvaion_worker_job_duration_seconds_sum', { job: 'SlowJob' }), 1.5);
    assert.equal(await total(registry, 'StuckJob', 'timed_out'), 1);
    assert.equal(bucket('StuckJob', '2.5'), 0);
    assert.equal(bucket('StuckJob', '5'), 1);
  });

  it('tracks running executions in milvaion_worker_jobs_running', async () => {
    let release = () => {};
    const gate = new Promise<void>((resolve) => (release = resolve));
    const waiting = defineJob({ name: 'WaitingJob', run: () => gate });
    const { registry, run } = setup([waiting]);
    const runs = [run('WaitingJob'), run('WaitingJob')];
    await new Promise((resolve) => setImmediate(resolve));
    assert.equal((await scrape(registry)).value('milvaion_worker_jobs_running'), 2);
    release();
    await Promise.all(runs);
    assert.equal((await scrape(registry)).value('milvaion_worker_jobs_running'), 0);
  });

  it('returns the very outcome it got, and lets a throwing layer throw without leaking a running count', async () => {
    const registry = createMetrics();
    const job = defineJob({ name: 'PassJob', run: () => undefined });
    const failure: Outcome = ok({ kind: 'skipped', reason: 'x' });
    const success: Outcome = ok({ kind: 'completed', result: 42 });
    for (const outcome of [failure, success]) {
      const pipeline = compose([registry.middleware()], async () => outcome);
      assert.equal(await pipeline(makeContext(job).ctx), outcome);
    }
    const throwing = compose([registry.middleware()], async () => {
      throw new Error('middleware bug');
    });
    await assert.rejects(throwing(makeContext(job).ctx), /middleware bug/);
    assert.equal((await scrape(registry)).value('milvaion_worker_jobs_running'), 0);
  });

  it('escapes job label values (a hand-made definition bypassing defineJob name rules)', async () => {
    const odd: AnyJobDefinition = { ...defineJob({ name: 'OddJob', run: () => undefined }), name: 'Odd"Job\\x\ny' };
    const { registry, run } = setup([odd]);
    await run('Odd"Job\\x\ny');
    const text = await registry.render();
    assert.ok(text.includes('milvaion_worker_jobs_total{job="Odd\\"Job\\\\x\\ny",outcome="completed"} 1\n'));
    const x = parsePrometheusText(text);
    assert.equal(x.value('milvaion_worker_jobs_total', { job: 'Odd"Job\\x\ny', outcome: 'completed' }), 1);
    assert.equal(x.value('milvaion_worker_job_duration_seconds_count', { job: 'Odd"Job\\x\ny' }), 1);
  });

  it('is a named function, and is not part of defaultMiddleware()', () => {
    assert.equal(createMetrics().middleware().name, 'metrics');
    assert.ok(!defaultMiddleware().some((m) => m.name === 'metrics'));
  });

  it('rejects invalid options with a TypeError naming the key', () => {
    for (const [options, key] of [
      [{}, 'registry'],
      [{ registry: 42 }, 'registry'],
      [{ registry: { jobStarted: () => {} } }, 'registry'],
      [{ registry: createMetrics(), extra: true }, 'extra'],
    ] as const) {
      assert.throws(
        () => metrics(options as unknown as Parameters<typeof metrics>[0]),
        (error: unknown) => error instanceof TypeError && error.message.includes('metrics') && error.message.includes(key),
        JSON.stringify(Object.keys(options)),
      );
    }
  });
});
