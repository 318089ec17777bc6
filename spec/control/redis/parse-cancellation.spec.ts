import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parseCancellation } from '../../../lib/control/redis/parse-cancellation.ts';

const OCC = '7c9e6679-7425-40de-944b-e07fc1f90ae7';
const OTHER = '0f8fad5b-d9cb-469f-a165-70867728950e';

describe('parseCancellation', () => {
  it('reads the scheduler payload, preferring OccurrenceId over CorrelationId', () => {
    const r = parseCancellation(JSON.stringify({ CorrelationId: OTHER, JobId: 'j', OccurrenceId: OCC, Reason: 'user asked' }))._unsafeUnwrap();
    assert.deepEqual(r, { occurrenceId: OCC, jobId: 'j', reason: 'user asked' });
  });

  it('accepts any key casing and the release 10.0.11 shape without OccurrenceId', () => {
    assert.equal(parseCancellation(`{"correlationid":"${OCC.toUpperCase()}","reason":"x"}`)._unsafeUnwrap().occurrenceId, OCC);
    assert.equal(parseCancellation(`{"CORRELATIONID":"${OCC}"}`)._unsafeUnwrap().reason, 'Cancelled from the scheduler');
  });

  it('turns garbage into an error instead of throwing', () => {
    for (const payload of ['not json', OTHER, `"${OTHER}"`, '[]', 'null', '{"CorrelationId":5}', '{"OccurrenceId":"nope"}', '{}', 'x'.repeat(70_000)]) {
      assert.equal(parseCancellation(payload).isErr(), true, payload.slice(0, 40));
    }
  });
});
