// isFinalStatus follows Milvaion's IsFinalStatus (release 10.1): every status but Queued and Running ends an
// occurrence, including Unknown and Skipped, which only the scheduler sets.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { isFinalStatus } from '../../lib/core/engine/is-final-status.ts';
import { JobStatus } from '../../lib/core/vocabulary/types.ts';

describe('isFinalStatus', () => {
  it('is false for Queued and Running, true for every other status', () => {
    const final = Object.entries(JobStatus).filter(([, status]) => isFinalStatus(status)).map(([name]) => name);
    assert.deepEqual(final, ['Completed', 'Failed', 'Cancelled', 'TimedOut', 'Unknown', 'Skipped']);
  });

  it('knows Skipped as 7, as in JobOccurrenceStatus of release 10.1', () => {
    assert.equal(JobStatus.Skipped, 7);
    assert.equal(isFinalStatus(JobStatus.Skipped), true);
  });
});
