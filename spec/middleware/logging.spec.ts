// Specs of logging(): start and end lines (with duration and outcome) on the technical logger, and the
// optional mirror of user log lines.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { err, ok } from 'neverthrow';
import { defineJob, logging, retry, type Completion, type NotCompleted, type Outcome } from '../../lib/index.ts';
import { compose } from '../../lib/core/engine/compose.ts';
import { captureLogger } from '../support/loggers.ts';
import { createHarness, makeContext } from '../support/pipeline-harness.ts';

const job = defineJob({ name: 'LoggedJob', run: () => undefined });

describe('logging()', () => {
  it('writes a start line and a completion line with the duration to the injected logger', async () => {
    const logger = captureLogger();
    const slow = defineJob({ name: 'SlowLoggedJob', run: () => new Promise((resolve) => setTimeout(resolve, 5)) });
    const h = createHarness({ jobs: [slow], middleware: [logging({ logger })] });
    const { envelope, outcome } = h.start('SlowLoggedJob');
    await outcome;
    const label = `SlowLoggedJob ${envelope.occurrenceId}`;
    assert.equal(logger.lines.length, 2);
    assert.deepEqual(logger.lines[0], { level: 'debug', message: `Job started: ${label}`, args: [] });
    assert.equal(logger.lines[1]?.level, 'info');
    const end = /^Job completed: (.+) in (\d+\.\d) ms$/.exec(logger.lines[1]?.message ?? '');
    assert.ok(end !== null, `unexpected end line: ${logger.lines[1]?.message}`);
    assert.equal(end[1], label);
    assert.ok(Number(end[2]) >= 4, `the duration ${end[2]} ms must cover the job's 5 ms`);
    assert.equal(h.logger.lines.length, 0, "an injected logger replaces the executor's");
  });

  it("defaults to the executor's technical logger", async () => {
    const h = createHarness({ jobs: [job], middleware: [logging()] });
    await h.run('LoggedJob');
    assert.ok(h.logger.messages('debug').some((m) => m.startsWith('Job started: LoggedJob')));
    assert.ok(h.logger.messages('info').some((m) => m.startsWith('Job completed: LoggedJob')));
  });

  it('names the retry count in the start line of a retried delivery', async () => {
    const logger = captureLogger();
    const h = createHarness({ jobs: [job], middleware: [logging({ logger })] });
    await h.run('LoggedJob', { retryCount: 2 });
    assert.match(logger.lines[0]?.message ?? '', /^Job started: LoggedJob \S+ \(retry 2\)$/);
  });

  it('reports the outcome kind in the end line, with the error for failures', async () => {
    const boom = new Error('boom');
    const cases: [NotCompleted | Extract<Completion, { kind: 'skipped' }>, LineExpectation][] = [
      [{ kind: 'failed', error: boom, permanent: false }, { level: 'error', pattern: /^Job failed: LoggedJob \S+ in \d+\.\d ms$/, args: [boom] }],
      [{ kind: 'failed', error: boom, permanent: true }, { level: 'error', pattern: /^Job failed permanently: /, args: [boom] }],
      [{ kind: 'failed', error: boom, permanent: false, retriesExhausted: 3 }, { level: 'error', pattern: /^Job failed after 3 retries: /, args: [boom] }],
      [{ kind: 'timed-out', timeoutMs: 1500, elapsedMs: 1500 }, { level: 'warn', pattern: /^Job timed out after 1500 ms: LoggedJob / }],
      [{ kind: 'cancelled', reason: 'by Ann', source: 'user' }, { level: 'warn', pattern: /^Job cancelled \(user: by Ann\): LoggedJob \S+ in \d+\.\d ms$/ }],
      [{ kind: 'invalid-data', issues: ['a: bad', 'b: worse'] }, { level: 'error', pattern: /^Job data invalid: LoggedJob \S+: a: bad; b: worse$/ }],
      [{ kind: 'unknown-job', jobName: 'Ghost' }, { level: 'error', pattern: /^No job registered for type Ghost: / }],
      [{ kind: 'skipped', reason: 'paused' }, { level: 'info', pattern: /^Job skipped \(paused\): / }],
      [{ kind: 'retry-scheduled', delayMs: 5000, nextRetryCount: 1, error: boom }, { level: 'warn', pattern: /^Job failed, retry 1 scheduled in 5000 ms: / }],
    ];
    for (const [failure, expected] of cases) {
      const logger = captureLogger();
      const pipeline = compose([logging({ logger })], async (): Promise<Outcome> => (failure.kind === 'skipped' ? ok(failure) : err(failure)));
      const outcome = await pipeline(makeContext(job).ctx);
      assert.deepEqual(outcome.isErr() ? outcome.error : outcome.value, failure, 'logging returns the outcome unchanged');
      const end = logger.lines[1];
      assert.equal(end?.level, expected.level, `level for ${failure.kind}`);
      assert.match(end?.message ?? '', expected.pattern);
      if (expected.args !== undefined) assert.deepEqual(end?.args, expected.args);
    }
  });

  it('outside retry, logs one start and one end line per occurrence with the final outcome', async () => {
    const logger = captureLogger();
    const failing = defineJob({
      name: 'RetriedLoggedJob',
      run: () => {
        throw new Error('flaky');
      },
    });
    const h = createHarness({ jobs: [failing], middleware: [logging({ logger }), retry({ baseDelayMs: 0, maxRetries: 2 })] });
    await h.run('RetriedLoggedJob');
    assert.equal(logger.messages('debug').filter((m) => m.startsWith('Job started')).length, 1);
    assert.deepEqual(
      logger.lines.filter((l) => l.level === 'error').map((l) => l.message.replace(/ \S+ in .*$/, '')),
      ['Job failed after 2 retries: RetriedLoggedJob'],
    );
  });

  it('does not mirror user log lines by default', async () => {
    const logger = captureLogger();
    const chatty = defineJob({ name: 'ChattyJob', run: (_d, ctx) => ctx.log.info('hello from the job') });
    const h = createHarness({ jobs: [chatty], middleware: [logging({ logger })] });
    await h.run('ChattyJob');
    assert.ok(!logger.lines.some((l) => l.message.includes('hello from the job')));
    assert.equal(h.sink.logs().filter((l) => l.message === 'hello from the job').length, 1);
  });

  it('with mirrorUserLogs, mirrors every ctx.log line to the technical logger at its level, and still sends it to the sink', async () => {
    const logger = captureLogger();
    const chatty = defineJob({
      name: 'MirroredJob',
      run: (_d, ctx) => {
        ctx.log.debug('step 0');
        ctx.log.info('step 1', { items: 3 });
        ctx.log.warn('step 2');
        ctx.log.error('step 3');
      },
    });
    const h = createHarness({ jobs: [chatty], middleware: [logging({ logger, mirrorUserLogs: true })] });
    const { envelope, outcome } = h.start('MirroredJob');
    await outcome;
    const prefix = `[MirroredJob ${envelope.occurrenceId}] `;
    const mirrored = logger.lines.filter((l) => l.message.startsWith(prefix));
    assert.deepEqual(mirrored, [
      { level: 'debug', message: `${prefix}step 0`, args: [] },
      { level: 'info', message: `${prefix}step 1`, args: [{ items: 3 }] },
      { level: 'warn', message: `${prefix}step 2`, args: [] },
      { level: 'error', message: `${prefix}step 3`, args: [] },
    ]);
    assert.deepEqual(
      h.sink.logs(envelope.occurrenceId).map((l) => [l.level, l.message]),
      [
        ['Debug', 'step 0'],
        ['Information', 'step 1'],
        ['Warning', 'step 2'],
        ['Error', 'step 3'],
      ],
    );
  });

  it('with mirrorUserLogs, mirrors runtime lines written by inner middleware (e.g. Retry) too', async () => {
    const logger = captureLogger();
    const failing = defineJob({
      name: 'MirroredRetryJob',
      run: () => {
        throw new Error('flaky');
      },
    });
    const h = createHarness({ jobs: [failing], middleware: [logging({ logger, mirrorUserLogs: true }), retry({ mode: 'scheduled', baseDelayMs: 1000 })] });
    const { outcome } = h.start('MirroredRetryJob');
    await outcome;
    const retryLine = logger.lines.find((l) => l.message.includes('retry 1/'));
    assert.equal(retryLine?.level, 'warn');
    assert.deepEqual(Object.keys((retryLine?.args[0] ?? {}) as object), ['RetryAttempt', 'MaxRetries', 'DelaySeconds', 'NextRetryTime']);
    const record = h.sink.logs().find((l) => l.category === 'Retry');
    assert.ok(record !== undefined, 'the mirrored line keeps its category in the sink');
  });

  it('does not mirror twice when the job already logs via the logger (LogUserFriendlyLogsViaLogger)', async () => {
    const chatty = defineJob({ name: 'SelfMirroringJob', logUserFriendlyLogsViaLogger: true, run: (_d, ctx) => ctx.log.info('only once') });
    const h = createHarness({ jobs: [chatty], middleware: [logging({ mirrorUserLogs: true })] });
    await h.run('SelfMirroringJob');
    assert.equal(h.logger.lines.filter((l) => l.message.includes('only once')).length, 1);
  });

  it('rejects invalid options with a TypeError naming the key', () => {
    for (const [options, key] of [
      [{ logger: 42 }, 'logger'],
      [{ mirrorUserLogs: 'yes' }, 'mirrorUserLogs'],
      [{ level: 'debug' }, 'level'],
    ] as const) {
      assert.throws(
        () => logging(options as unknown as Parameters<typeof logging>[0]),
        (error: unknown) => error instanceof TypeError && error.message.includes('logging') && error.message.includes(key),
      );
    }
  });
});

interface LineExpectation {
  readonly level: 'debug' | 'info' | 'warn' | 'error';
  readonly pattern: RegExp;
  readonly args?: readonly unknown[];
}
