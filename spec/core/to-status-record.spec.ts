// Specs of toStatusRecord(), the one builder of status records (the texts of final ones come from toVerdict(),
// specced in to-verdict.spec.ts), and its helpers: the result string of a returned value, seconds, durations.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { JobStatus } from '../../lib/core/vocabulary/types.ts';
import { toResultString } from '../../lib/core/engine/to-result-string.ts';
import { toStatusRecord } from '../../lib/core/engine/to-status-record.ts';
import { seconds } from '../../lib/core/util/seconds.ts';
import { makeEnvelope } from '../support/envelopes.ts';

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

describe('toStatusRecord', () => {
  it('builds the final status of the occurrence with its times, duration and fields', () => {
    const envelope = makeEnvelope('EchoJob');
    const record = toStatusRecord(envelope, { status: JobStatus.Completed, phase: 'final', startTime: 1_000, endTime: 3_499.6, timestamp: 3_499.6, result: 'done', exception: null });
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
    const record = toStatusRecord(makeEnvelope('EchoJob'), { status: JobStatus.Completed, phase: 'final', startTime: 5_000, endTime: 4_000, timestamp: 4_000 });
    assert.equal(record.durationMs, 0);
  });

  it('builds Running at pickup and job heartbeats with no duration, result or exception', () => {
    const envelope = makeEnvelope('EchoJob');
    const start = toStatusRecord(envelope, { status: JobStatus.Running, phase: 'start', startTime: 1_000, endTime: null, timestamp: 1_000 });
    assert.deepEqual(
      start,
      { type: 'status', occurrenceId: envelope.occurrenceId, correlationId: envelope.correlationId, jobId: envelope.jobId, jobName: 'EchoJob', status: JobStatus.Running, phase: 'start', startTime: 1_000, endTime: null, durationMs: null, result: null, exception: null, timestamp: 1_000 },
    );
    const beat = toStatusRecord(envelope, { status: JobStatus.Running, phase: 'heartbeat', startTime: null, endTime: null, timestamp: 2_000 });
    assert.equal(beat.startTime, null);
    assert.equal(beat.durationMs, null);
    assert.equal(beat.timestamp, 2_000);
  });

  it('gives a job that never started no duration', () => {
    const record = toStatusRecord(makeEnvelope('EchoJob'), { status: JobStatus.Cancelled, phase: 'final', startTime: null, endTime: 9_000, timestamp: 9_000, result: 'Job cancelled by user or system: closing' });
    assert.equal(record.durationMs, null);
    assert.equal(record.endTime, 9_000);
    assert.equal(record.result, 'Job cancelled by user or system: closing');
  });
});
