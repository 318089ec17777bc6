// What `milvaion-worker dispatch` prints for each status and which ones end it: 0 for Completed, 3 for any other
// final status, the scheduler's Skipped (release 10.1) and Unknown included; Running and unknown numbers go on.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { JobStatus } from '../../../lib/core/vocabulary/types.ts';
import { toStatusLine } from '../../../lib/host/cli/to-status-line.ts';

describe('toStatusLine', () => {
  it('prints Skipped by name and exits 3', () => {
    assert.deepEqual(toStatusLine({ Status: JobStatus.Skipped, Result: null, Exception: null }), { line: '  Skipped', exitCode: 3 });
  });

  it('exits 0 on Completed with its result, 3 on every other final status', () => {
    assert.deepEqual(toStatusLine({ Status: JobStatus.Completed, Result: 'sent' }), { line: '  Completed sent', exitCode: 0 });
    for (const status of [JobStatus.Failed, JobStatus.Cancelled, JobStatus.TimedOut, JobStatus.Unknown]) {
      assert.equal(toStatusLine({ Status: status }).exitCode, 3, String(status));
    }
  });

  it('keeps going on Queued, Running, a number it does not know, or no status', () => {
    assert.deepEqual(toStatusLine({ Status: JobStatus.Running }), { line: '  Running', exitCode: undefined });
    assert.deepEqual(toStatusLine({ Status: JobStatus.Queued }), { line: '  Queued', exitCode: undefined });
    assert.deepEqual(toStatusLine({ Status: 42 }), { line: '  42', exitCode: undefined });
    assert.deepEqual(toStatusLine({}), { line: '  undefined', exitCode: undefined });
  });

  it('shows the first two lines of an exception', () => {
    const exception = 'Type: Error\nMessage: boom\nStackTrace: at x\n';
    assert.equal(toStatusLine({ Status: JobStatus.Failed, Result: null, Exception: exception }).line, '  Failed Type: Error | Message: boom');
  });
});
