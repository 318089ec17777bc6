// Specs of toStatusRecord() and its helpers: every outcome's final status, result and exception text
// (protocol §2.2), the result string of a returned value, durations, and which outcomes are final.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { err, ok } from 'neverthrow';
import { JobStatus, type NotCompleted, type Outcome } from '../../lib/index.ts';
import { InvalidJobDataError } from '../../lib/core/invalid-job-data-error.ts';
import { formatException } from '../../lib/core/format-exception.ts';
import { isFinal } from '../../lib/core/is-final.ts';
import { toFinalFields } from '../../lib/core/to-final-fields.ts';
import { toResultString } from '../../lib/core/to-result-string.ts';
import { toStatusRecord } from '../../lib/core/to-status-record.ts';
import { seconds } from '../../lib/core/seconds.ts';
import { makeEnvelope } from '../support/envelopes.ts';

const failed = (e: NotCompleted): Outcome => err(e);
const retry = failed({ kind: 'retry-scheduled', delayMs: 1000, nextRetryCount: 1, error: new Error('x') });

describe('toResultString', () => {
  it('says the job completed when it returned nothing', () => {
    assert.equal(toResultString(undefined, 'EchoJob'), 'Job EchoJob completed successfully');
    assert.equal(toResultString(null, 'EchoJob'), 'Job EchoJob completed successfully');
  });

  it('keeps a string and JSON-encodes anything else', () => {
    assert.equal(toResultString('done', 'EchoJob'), 'done');
    assert.equal(toResultString('', 'EchoJob'), '');
    assert.equal(toResultString({ rows: 3, ok: true }, 'EchoJob'), '{"rows":3,"ok":true}');
    assert.equal(toResultString([1, 'a'], 'EchoJob'), '[1,"a"]');
    assert.equal(toResultString(0, 'EchoJob'), '0');
    assert.equal(toResultString(false, 'EchoJob'), 'false');
  });

  it('falls back to String() for values JSON cannot encode', () => {
    const circular: Record<string, unknown> = {};
    circular['self'] = circular;
    assert.equal(toResultString(circular, 'EchoJob'), '[object Object]');
    assert.equal(toResultString(10n, 'EchoJob'), '10');
    assert.equal(toResultString(Symbol.for('s'), 'EchoJob'), 'Symbol(s)');
  });
});

describe('seconds', () => {
  it('gives whole seconds when whole, else up to milliseconds', () => {
    assert.equal(seconds(1000), 1);
    assert.equal(seconds(1500), 1.5);
    assert.equal(seconds(1234.6), 1.235);
    assert.equal(seconds(0), 0);
  });
});

describe('toFinalFields', () => {
  it('maps a completion to Completed with the result, and a skip to Cancelled with its reason', () => {
    assert.deepEqual(toFinalFields(ok({ kind: 'completed', result: { n: 1 } }), 'EchoJob'), { status: JobStatus.Completed, result: '{"n":1}', exception: null });
    assert.deepEqual(toFinalFields(ok({ kind: 'skipped', reason: 'outside business hours' }), 'EchoJob'), {
      status: JobStatus.Cancelled,
      result: 'Job skipped: outside business hours',
      exception: null,
    });
  });

  it('maps a failure to Failed with the .NET-style exception text, prefixed once retries are exhausted', () => {
    const error = new TypeError('bad');
    assert.deepEqual(toFinalFields(failed({ kind: 'failed', error, permanent: false }), 'EchoJob'), { status: JobStatus.Failed, result: null, exception: formatException(error) });
    assert.deepEqual(toFinalFields(failed({ kind: 'failed', error, permanent: false, retriesExhausted: 3 }), 'EchoJob'), {
      status: JobStatus.Failed,
      result: null,
      exception: `Max retries (3) exceeded. Original exception: ${formatException(error)}`,
    });
  });

  it('maps a timeout to TimedOut with the budget in seconds and the elapsed milliseconds', () => {
    assert.deepEqual(toFinalFields(failed({ kind: 'timed-out', timeoutMs: 1500, elapsedMs: 1502.4 }), 'EchoJob'), {
      status: JobStatus.TimedOut,
      result: null,
      exception: 'Job execution exceeded maximum timeout of 1.5 seconds (1502ms elapsed)',
    });
  });

  it('maps a cancel to Cancelled with its reason as the result', () => {
    assert.deepEqual(toFinalFields(failed({ kind: 'cancelled', reason: 'Cancelled from the dashboard', source: 'user' }), 'EchoJob'), {
      status: JobStatus.Cancelled,
      result: 'Job cancelled by user or system: Cancelled from the dashboard',
      exception: null,
    });
  });

  it('maps invalid data to Failed with an InvalidJobDataError that lists the issues and carries no stack frames', () => {
    const fields = toFinalFields(failed({ kind: 'invalid-data', issues: ['a: Invalid type', 'b: Invalid key'] }), 'TypedJob');
    assert.deepEqual(fields, {
      status: JobStatus.Failed,
      result: null,
      exception: 'Type: InvalidJobDataError\nMessage: Invalid job data for TypedJob: a: Invalid type; b: Invalid key\nStackTrace: \n',
    });
    assert.equal(new InvalidJobDataError('x').name, 'InvalidJobDataError');
  });

  it('maps an unknown job to Failed naming the job, and a scheduled retry to no status at all', () => {
    assert.deepEqual(toFinalFields(failed({ kind: 'unknown-job', jobName: 'GhostJob' }), 'GhostJob'), {
      status: JobStatus.Failed,
      result: null,
      exception: 'No job registered for type: GhostJob',
    });
    assert.equal(toFinalFields(retry, 'EchoJob'), null);
  });
});

describe('toStatusRecord', () => {
  it('builds the final status of the occurrence with its times, duration and fields', () => {
    const envelope = makeEnvelope('EchoJob');
    const record = toStatusRecord(ok({ kind: 'completed', result: 'done' }), envelope, { startTime: 1_000, endTime: 3_499.6 });
    assert.deepEqual(record, {
      type: 'status',
      occurrenceId: envelope.occurrenceId,
      correlationId: envelope.correlationId,
      jobId: envelope.jobId,
      jobName: 'EchoJob',
      phase: 'final',
      startTime: 1_000,
      endTime: 3_499.6,
      durationMs: 2_500,
      timestamp: 3_499.6,
      status: JobStatus.Completed,
      result: 'done',
      exception: null,
    });
  });

  it('never reports a negative duration (a clock that stepped back)', () => {
    const record = toStatusRecord(ok({ kind: 'completed', result: undefined }), makeEnvelope('EchoJob'), { startTime: 5_000, endTime: 4_000 });
    assert.equal(record?.durationMs, 0);
  });

  it('returns null for a scheduled retry: no status between attempts', () => {
    assert.equal(toStatusRecord(retry, makeEnvelope('EchoJob'), { startTime: 0, endTime: 1 }), null);
  });
});

describe('isFinal', () => {
  it('is true for every outcome except a scheduled retry', () => {
    assert.equal(isFinal(ok({ kind: 'completed', result: 1 })), true);
    assert.equal(isFinal(ok({ kind: 'skipped', reason: 'r' })), true);
    assert.equal(isFinal(failed({ kind: 'failed', error: new Error('x'), permanent: false })), true);
    assert.equal(isFinal(failed({ kind: 'cancelled', reason: 'r', source: 'shutdown' })), true);
    assert.equal(isFinal(failed({ kind: 'timed-out', timeoutMs: 1, elapsedMs: 1 })), true);
    assert.equal(isFinal(retry), false);
  });
});
