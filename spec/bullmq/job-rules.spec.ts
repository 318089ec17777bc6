// The pure rules of the BullMQ adapter: ExternalJobIds that fit Milvaion, which attempt sends the Starting, which
// failure ends a job, the error rebuilt from what BullMQ keeps, and the end of an occurrence.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { isFinalFailure, isFirstAttempt, MAX_EXTERNAL_JOB_ID, toExternalEnd, toExternalJobId, toJobError, type JobView } from '../../lib/bullmq/to-external.ts';

const job = (fields: Partial<JobView> = {}): JobView => ({ id: '7', name: 'sync', timestamp: 1000, attemptsMade: 0, attemptsStarted: 1, opts: { attempts: 3 }, stacktrace: [], ...fields });
const ref = { externalJobId: 'q:sync', externalOccurrenceId: '7', jobTypeName: 'sync' };

describe('toExternalJobId()', () => {
  it('is `{queue}:{key}`, and a longer one than Milvaion stores is cut with a hash of the whole', () => {
    assert.equal(toExternalJobId('mail', 'nightly'), 'mail:nightly');
    const long = toExternalJobId('mail', 'k'.repeat(300));
    assert.equal(long.length, MAX_EXTERNAL_JOB_ID);
    assert.equal(long, toExternalJobId('mail', 'k'.repeat(300)), 'stable');
    assert.notEqual(long, toExternalJobId('mail', `${'k'.repeat(299)}j`), 'different keys stay different');
  });
});

describe('isFirstAttempt()', () => {
  it('is true for a job that has started once, even read after that attempt failed', () => {
    assert.equal(isFirstAttempt(job()), true);
    assert.equal(isFirstAttempt(job({ attemptsMade: 1, stacktrace: ['Error: x'] })), true);
  });

  it('is false for a retry, a stalled attempt run again, and a job retried by hand with its counts reset', () => {
    assert.equal(isFirstAttempt(job({ attemptsStarted: 2, attemptsMade: 1 })), false);
    assert.equal(isFirstAttempt(job({ attemptsStarted: 2, attemptsMade: 0 })), false);
    assert.equal(isFirstAttempt(job({ attemptsStarted: 1, attemptsMade: 0, stacktrace: ['Error: before the retry'] })), false);
  });

  it('without started counts (older BullMQ) is true only before any attempt ended', () => {
    assert.equal(isFirstAttempt(job({ attemptsStarted: undefined })), true);
    assert.equal(isFirstAttempt(job({ attemptsStarted: 0, attemptsMade: 1 })), false);
  });
});

describe('isFinalFailure()', () => {
  it('is true once BullMQ set finishedOn, the attempts are used up, or the error is unrecoverable', () => {
    assert.equal(isFinalFailure(job({ attemptsMade: 1 }), new Error('x')), false);
    assert.equal(isFinalFailure(job({ attemptsMade: 1, finishedOn: 5 }), new Error('x')), true);
    assert.equal(isFinalFailure(job({ attemptsMade: 3 }), new Error('x')), true);
    assert.equal(isFinalFailure(job({ attemptsMade: 1, opts: {} }), new Error('x')), true, 'one attempt by default');
    assert.equal(isFinalFailure(job({ attemptsMade: 1 }), Object.assign(new Error('x'), { name: 'UnrecoverableError' })), true);
  });
});

describe('toJobError()', () => {
  it('is the failed reason with the last stack, named as the stack names it', () => {
    const error = toJobError({ failedReason: 'bad input', stacktrace: ['Error: first\n    at a (a.js:1:1)', 'RangeError: bad input\n    at b (b.js:2:2)'] });
    assert.equal(error.name, 'RangeError');
    assert.equal(error.message, 'bad input');
    assert.equal(error.stack, 'RangeError: bad input\n    at b (b.js:2:2)');
  });

  it('leaves out a stack that belongs to an earlier failure (a job failed for stalling has none)', () => {
    const error = toJobError({ failedReason: 'job stalled more than allowable limit', stacktrace: ['Error: earlier\n    at a (a.js:1:1)'] });
    assert.equal(error.message, 'job stalled more than allowable limit');
    assert.equal(error.stack, 'Error: job stalled more than allowable limit');
    assert.equal(toJobError({ failedReason: null, stacktrace: null }).message, 'failed');
  });
});

describe('toExternalEnd()', () => {
  it('gives the last attempt’s times and duration, and the return value as JSON (a string quoted, nothing for none)', () => {
    const done = job({ processedOn: 2000, finishedOn: 2500 });
    assert.deepEqual(toExternalEnd(ref, done, { outcome: 'Completed', result: { rows: 2 } }), { ...ref, outcome: 'Completed', startTime: 2000, endTime: 2500, durationMs: 500, result: '{"rows":2}' });
    assert.equal(toExternalEnd(ref, done, { outcome: 'Completed', result: 'ok' }).result, '"ok"');
    assert.equal(toExternalEnd(ref, done, { outcome: 'Completed', result: undefined }).result, undefined);
    const big = toExternalEnd(ref, done, { outcome: 'Completed', result: { n: 1n } });
    assert.equal(big.result, '[object Object]', 'what JSON cannot hold is sent as text');
  });

  it('uses the event’s time when finishedOn is unknown, and carries the error of a failure', () => {
    const error = new Error('x');
    const end = toExternalEnd(ref, job({ processedOn: 2000 }), { outcome: 'Failed', error, endTime: 2100 });
    assert.deepEqual(end, { ...ref, outcome: 'Failed', startTime: 2000, endTime: 2100, durationMs: 100, exception: error });
    assert.equal(toExternalEnd(ref, job(), { outcome: 'Failed', error }).durationMs, undefined);
  });
});
