import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parseCancellation, toRedisTarget } from '../../../lib/control/redis/parse-cancellation.ts';

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

describe('toRedisTarget', () => {
  it('reads the StackExchange connection string form', () => {
    assert.deepEqual(toRedisTarget({ connectionString: 'cache.local:6380,password=s3cret,ssl=true,defaultDatabase=2,abortConnect=false' })._unsafeUnwrap(), {
      host: 'cache.local', port: 6380, password: 's3cret', username: undefined, database: 2, tls: true,
    });
    assert.deepEqual(toRedisTarget({ connectionString: 'localhost' })._unsafeUnwrap(), { host: 'localhost', port: 6379, password: undefined, username: undefined, database: 0, tls: false });
  });

  it('reads redis:// and rediss:// URLs, with Password and Database settings winning', () => {
    assert.deepEqual(toRedisTarget({ connectionString: 'rediss://u:p%40ss@h:7000/3' })._unsafeUnwrap(), { host: 'h', port: 7000, password: 'p@ss', username: 'u', database: 3, tls: true });
    const t = toRedisTarget({ connectionString: 'redis://h:7000/3', password: 'override', database: 5 })._unsafeUnwrap();
    assert.equal(t.password, 'override');
    assert.equal(t.database, 5);
    assert.equal(toRedisTarget({ connectionString: 'h:6379', password: '' })._unsafeUnwrap().password, undefined);
  });

  it('names what is wrong', () => {
    assert.match(toRedisTarget({ connectionString: '' })._unsafeUnwrapErr(), /empty/);
    assert.match(toRedisTarget({ connectionString: 'h:99999' })._unsafeUnwrapErr(), /port/);
    assert.match(toRedisTarget({ connectionString: 'h:1', database: -1 })._unsafeUnwrapErr(), /database/);
  });
});
