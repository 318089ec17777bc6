// Specs of toVerdict(): for every outcome kind, Milvaion's status with its result and exception texts
// (protocol §2.2), the delivery's fate (§1.5, §2.7), the metric label, the span's outcome and error, and the
// technical log line.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { err, ok } from 'neverthrow';
import { JobStatus, PermanentJobError, type NotCompleted, type Outcome } from '../../lib/index.ts';
import { formatException } from '../../lib/core/engine/format-exception.ts';
import { InvalidJobDataError } from '../../lib/core/vocabulary/invalid-job-data-error.ts';
import { toVerdict } from '../../lib/core/engine/to-verdict.ts';
import { OUTCOME_LABELS, type Verdict } from '../../lib/core/engine/verdict.ts';
import { makeEnvelope } from '../support/envelopes.ts';

const failed = (e: NotCompleted): Outcome => err(e);
const envelope = makeEnvelope('EchoJob', { retryCount: 2 });
const verdictOf = (outcome: Outcome, maxRetries = 3): Verdict => toVerdict(outcome, envelope, maxRetries);
const WHO = 'EchoJob 00000000-0000-4000-8000-000000000001';
const TOOK = 'in 12.3 ms';

/** The parts a status record and a serverless result take. */
const fieldsOf = ({ status, result, exception }: Verdict) => ({ status, result, exception });
/** The log line as the logging middleware writes it. */
const lineOf = ({ log }: Verdict) => ({ level: log.level, text: log.text(WHO, TOOK), args: log.args });

describe('toVerdict: a completion', () => {
  it('is Completed with the result string, acked, labelled completed, no span error, an info line with the time', () => {
    const verdict = verdictOf(ok({ kind: 'completed', result: { n: 1 } }));
    assert.deepEqual(fieldsOf(verdict), { status: JobStatus.Completed, result: '{"n":1}', exception: null });
    assert.deepEqual(verdict.fate, { kind: 'ack' });
    assert.equal(verdict.label, 'completed');
    assert.deepEqual(verdict.trace, { outcome: 'completed', error: null });
    assert.deepEqual(lineOf(verdict), { level: 'info', text: `Job completed: ${WHO} ${TOOK}`, args: [] });
  });

  it('says the job completed when it returned nothing', () => {
    assert.equal(verdictOf(ok({ kind: 'completed', result: undefined })).result, 'Job EchoJob completed successfully');
  });

  it('maps a skip to Cancelled with its reason as the result, acked, labelled skipped', () => {
    const verdict = verdictOf(ok({ kind: 'skipped', reason: 'outside business hours' }));
    assert.deepEqual(fieldsOf(verdict), { status: JobStatus.Cancelled, result: 'Job skipped: outside business hours', exception: null });
    assert.deepEqual(verdict.fate, { kind: 'ack' });
    assert.equal(verdict.label, 'skipped');
    assert.deepEqual(verdict.trace, { outcome: 'skipped', error: null });
    assert.deepEqual(lineOf(verdict), { level: 'info', text: `Job skipped (outside business hours): ${WHO}`, args: [] });
  });
});

describe('toVerdict: a failure', () => {
  const error = new TypeError('bad');

  it('that no retry handled is Failed with the .NET-style text, dead-lettered as UnhandledException with the job MaxRetries', () => {
    const verdict = verdictOf(failed({ kind: 'failed', error, permanent: false }), 5);
    assert.deepEqual(fieldsOf(verdict), { status: JobStatus.Failed, result: null, exception: formatException(error) });
    assert.deepEqual(verdict.fate, {
      kind: 'dead-letter', reason: 'unhandled-failure', failureType: 'UnhandledException', exception: formatException(error), retryCountHeader: 2, maxRetriesHeader: 5,
    });
    assert.equal(verdict.label, 'failed');
    assert.deepEqual(verdict.trace, { outcome: 'failed', error: { message: 'bad', cause: error } });
    assert.deepEqual(lineOf(verdict), { level: 'error', text: `Job failed: ${WHO} ${TOOK}`, args: [error] });
  });

  it('after its last retry is prefixed once, and dead-lettered with x-retry-count = MaxRetries = N, as the .NET SDK does', () => {
    const verdict = verdictOf(failed({ kind: 'failed', error: new Error('boom'), permanent: false, retriesExhausted: 3 }));
    assert.match(verdict.exception ?? '', /^Max retries \(3\) exceeded\. Original exception: Type: Error\nMessage: boom/);
    assert.ok(verdict.fate.kind === 'dead-letter');
    assert.equal(verdict.fate.exception, verdict.exception, 'the status and the dead letter say the same');
    assert.equal(verdict.fate.reason, 'retries-exhausted');
    assert.equal(verdict.fate.failureType, 'MaxRetriesExceeded');
    assert.equal(verdict.fate.retryCountHeader, 3);
    assert.equal(verdict.fate.maxRetriesHeader, 3);
    assert.equal(lineOf(verdict).text, `Job failed after 3 retries: ${WHO} ${TOOK}`);
  });

  it('that is permanent is dead-lettered with MaxRetries 0 and the [PERMANENT FAILURE] prefix', () => {
    const permanent = new PermanentJobError('no');
    const verdict = verdictOf(failed({ kind: 'failed', error: permanent, permanent: true }));
    assert.deepEqual(fieldsOf(verdict), { status: JobStatus.Failed, result: null, exception: formatException(permanent) });
    assert.deepEqual(verdict.fate, {
      kind: 'dead-letter', reason: 'permanent-failure', failureType: 'PermanentFailure', exception: `[PERMANENT FAILURE] ${formatException(permanent)}`, retryCountHeader: 2, maxRetriesHeader: 0,
    });
    assert.match(verdict.fate.kind === 'dead-letter' ? verdict.fate.exception : '', /^\[PERMANENT FAILURE\] Type: PermanentJobError/);
    assert.deepEqual(lineOf(verdict), { level: 'error', text: `Job failed permanently: ${WHO} ${TOOK}`, args: [permanent] });
  });

  it('gives the message of anything thrown to the span', () => {
    assert.deepEqual(verdictOf(failed({ kind: 'failed', error: 'plain', permanent: false })).trace.error, { message: 'plain', cause: 'plain' });
  });
});

describe('toVerdict: a timeout, a cancel', () => {
  it('maps a timeout to TimedOut with the budget in seconds and the elapsed milliseconds, acked', () => {
    const verdict = verdictOf(failed({ kind: 'timed-out', timeoutMs: 1500, elapsedMs: 1502.4 }));
    assert.deepEqual(fieldsOf(verdict), { status: JobStatus.TimedOut, result: null, exception: 'Job execution exceeded maximum timeout of 1.5 seconds (1502ms elapsed)' });
    assert.deepEqual(verdict.fate, { kind: 'ack' });
    assert.equal(verdict.label, 'timed_out');
    assert.deepEqual(verdict.trace, { outcome: 'timed-out', error: { message: 'Timed out after 1500 ms' } });
    assert.deepEqual(lineOf(verdict), { level: 'warn', text: `Job timed out after 1500 ms: ${WHO}`, args: [] });
  });

  it('maps a user cancel to Cancelled with its reason as the result, acked, not a span error', () => {
    const verdict = verdictOf(failed({ kind: 'cancelled', reason: 'Cancelled from the dashboard', source: 'user' }));
    assert.deepEqual(fieldsOf(verdict), { status: JobStatus.Cancelled, result: 'Job cancelled by user or system: Cancelled from the dashboard', exception: null });
    assert.deepEqual(verdict.fate, { kind: 'ack' });
    assert.equal(verdict.label, 'cancelled');
    assert.deepEqual(verdict.trace, { outcome: 'cancelled', error: null });
    assert.deepEqual(lineOf(verdict), { level: 'warn', text: `Job cancelled (user: Cancelled from the dashboard): ${WHO} ${TOOK}`, args: [] });
    assert.equal(verdict.notice, 'Job execution was cancelled: Cancelled from the dashboard');
  });

  it('acks a cancel by timeout, and gives a job interrupted by shutdown back to the queue', () => {
    assert.deepEqual(verdictOf(failed({ kind: 'cancelled', reason: 'r', source: 'timeout' })).fate, { kind: 'ack' });
    const shutdown = verdictOf(failed({ kind: 'cancelled', reason: 'The worker is shutting down', source: 'shutdown' }));
    assert.deepEqual(shutdown.fate, { kind: 'requeue' });
    assert.equal(shutdown.status, JobStatus.Cancelled);
    assert.equal(lineOf(shutdown).text, `Job cancelled (shutdown: The worker is shutting down): ${WHO} ${TOOK}`);
  });
});

describe('toVerdict: invalid data, an unknown job', () => {
  it('maps invalid data to Failed with an InvalidJobDataError without frames, dead-lettered as InvalidJobData', () => {
    const verdict = verdictOf(failed({ kind: 'invalid-data', issues: ['a: Invalid type', 'b: Invalid key'] }));
    assert.deepEqual(fieldsOf(verdict), {
      status: JobStatus.Failed,
      result: null,
      exception: 'Type: InvalidJobDataError\nMessage: Invalid job data for EchoJob: a: Invalid type; b: Invalid key\nStackTrace: \n',
    });
    assert.deepEqual(verdict.fate, {
      kind: 'dead-letter', reason: 'invalid-data', failureType: 'InvalidJobData', exception: '[PERMANENT FAILURE] Invalid job data for EchoJob: a: Invalid type; b: Invalid key', retryCountHeader: 2, maxRetriesHeader: 0,
    });
    assert.equal(verdict.label, 'invalid_data');
    assert.deepEqual(verdict.trace, { outcome: 'invalid-data', error: { message: 'Invalid job data: a: Invalid type; b: Invalid key' } });
    assert.deepEqual(lineOf(verdict), { level: 'error', text: `Job data invalid: ${WHO}: a: Invalid type; b: Invalid key`, args: [] });
    assert.equal(new InvalidJobDataError('x').name, 'InvalidJobDataError');
  });

  it('maps an unknown job to Failed naming the job, dead-lettered as UnknownJob; the log and span say it without the colon', () => {
    const verdict = toVerdict(failed({ kind: 'unknown-job', jobName: 'GhostJob' }), makeEnvelope('GhostJob', { retryCount: 1 }), 3);
    assert.deepEqual(fieldsOf(verdict), { status: JobStatus.Failed, result: null, exception: 'No job registered for type: GhostJob' });
    assert.deepEqual(verdict.fate, {
      kind: 'dead-letter', reason: 'unknown-job', failureType: 'UnknownJob', exception: 'No job registered for type: GhostJob', retryCountHeader: 1, maxRetriesHeader: 0,
    });
    assert.equal(verdict.label, 'unknown_job');
    assert.deepEqual(verdict.trace, { outcome: 'unknown-job', error: { message: 'No job registered for type GhostJob' } });
    assert.deepEqual(lineOf(verdict), { level: 'error', text: `No job registered for type GhostJob: ${WHO}`, args: [] });
  });
});

describe('toVerdict: a scheduled retry', () => {
  it('has no status (nothing between attempts) and is republished with a delay and the next retry count', () => {
    const error = new Error('x');
    const verdict = verdictOf(failed({ kind: 'retry-scheduled', delayMs: 20_000, nextRetryCount: 3, error }));
    assert.deepEqual(fieldsOf(verdict), { status: null, result: null, exception: null });
    assert.deepEqual(verdict.fate, { kind: 'retry', delayMs: 20_000, retryCount: 3 });
    assert.equal(verdict.label, 'retry_scheduled');
    assert.deepEqual(verdict.trace, { outcome: 'retry-scheduled', error: { message: 'x', cause: error } });
    assert.deepEqual(lineOf(verdict), { level: 'warn', text: `Job failed, retry 3 scheduled in 20000 ms: ${WHO}`, args: [] });
  });

  it('is the only outcome without a final status', () => {
    const outcomes: Outcome[] = [
      ok({ kind: 'completed', result: 1 }),
      ok({ kind: 'skipped', reason: 'r' }),
      failed({ kind: 'failed', error: new Error('x'), permanent: false }),
      failed({ kind: 'cancelled', reason: 'r', source: 'shutdown' }),
      failed({ kind: 'timed-out', timeoutMs: 1, elapsedMs: 1 }),
      failed({ kind: 'invalid-data', issues: [] }),
      failed({ kind: 'unknown-job', jobName: 'X' }),
    ];
    for (const outcome of outcomes) assert.notEqual(verdictOf(outcome).status, null);
  });
});

describe('toVerdict: the cancel notice', () => {
  it('is written for a cancel only, whatever stopped the job', () => {
    assert.equal(verdictOf(failed({ kind: 'cancelled', reason: 'The worker is shutting down', source: 'shutdown' })).notice, 'Job execution was cancelled: The worker is shutting down');
    const others: Outcome[] = [
      ok({ kind: 'completed', result: 1 }),
      ok({ kind: 'skipped', reason: 'r' }),
      failed({ kind: 'failed', error: new Error('x'), permanent: false }),
      failed({ kind: 'timed-out', timeoutMs: 1, elapsedMs: 1 }),
      failed({ kind: 'invalid-data', issues: [] }),
      failed({ kind: 'unknown-job', jobName: 'X' }),
      failed({ kind: 'retry-scheduled', delayMs: 1, nextRetryCount: 1, error: null }),
      failed({ kind: 'crash-looped', crashes: 4, limit: 3 }),
    ];
    for (const outcome of others) assert.equal(verdictOf(outcome).notice, null);
  });
});

describe('toVerdict: a crash loop', () => {
  it('is Failed, dead-lettered as WorkerCrash with reason crash-loop, and every text names the crashes and the key', () => {
    const verdict = verdictOf(failed({ kind: 'crash-looped', crashes: 4, limit: 3 }));
    const text = 'Not run again: 4 deliveries of this occurrence ended with no outcome, its worker process gone while it ran (more than Worker:MaxCrashRedeliveries = 3)';
    assert.deepEqual(fieldsOf(verdict), { status: JobStatus.Failed, result: null, exception: text });
    assert.equal(verdict.fate.kind, 'dead-letter');
    if (verdict.fate.kind !== 'dead-letter') return;
    assert.equal(verdict.fate.reason, 'crash-loop');
    assert.equal(verdict.fate.failureType, 'WorkerCrash');
    assert.equal(verdict.fate.exception, text);
    assert.equal(verdict.fate.retryCountHeader, 2);
    assert.equal(verdict.label, 'crash_looped');
    assert.deepEqual(verdict.trace.error, { message: text });
    assert.deepEqual(lineOf(verdict), { level: 'error', text: `${text}: ${WHO}`, args: [] });
  });
});

describe('toVerdict: labels', () => {
  it('gives every outcome kind its own label, each one of OUTCOME_LABELS', () => {
    const outcomes: Outcome[] = [
      ok({ kind: 'completed', result: 1 }),
      ok({ kind: 'skipped', reason: 'r' }),
      failed({ kind: 'failed', error: new Error('x'), permanent: false }),
      failed({ kind: 'cancelled', reason: 'r', source: 'user' }),
      failed({ kind: 'timed-out', timeoutMs: 1, elapsedMs: 1 }),
      failed({ kind: 'invalid-data', issues: [] }),
      failed({ kind: 'unknown-job', jobName: 'X' }),
      failed({ kind: 'retry-scheduled', delayMs: 1, nextRetryCount: 1, error: null }),
      failed({ kind: 'crash-looped', crashes: 4, limit: 3 }),
    ];
    const labels = outcomes.map((outcome) => verdictOf(outcome).label);
    assert.deepEqual([...labels].sort(), [...OUTCOME_LABELS].sort());
  });
});
