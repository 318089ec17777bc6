import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parseJobMessage } from '../../lib/core/engine/parse-job-message.ts';
import { readOccurrenceId, toRetryCount } from '../../lib/core/engine/parse-job-message.ts';

const JOB_ID = '0f8fad5b-d9cb-469f-a165-70867728950e';
const OCC = '7c9e6679-7425-40de-944b-e07fc1f90ae7';
const camel = { id: JOB_ID, jobNameInWorker: 'SendEmailJob', jobData: '{"to":"a@b.io"}', executionTimeoutSeconds: 30, version: 4 };

describe('parseJobMessage', () => {
  it('reads the scheduler camelCase body with the occurrence id from the CorrelationId header', () => {
    const env = parseJobMessage({ body: JSON.stringify(camel), headers: { CorrelationId: OCC } })._unsafeUnwrap();
    assert.equal(env.jobId, JOB_ID);
    assert.equal(env.jobName, 'SendEmailJob');
    assert.equal(env.jobData, '{"to":"a@b.io"}');
    assert.equal(env.occurrenceId, OCC);
    assert.equal(env.correlationId, OCC);
    assert.equal(env.executionTimeoutSeconds, 30);
    assert.equal(env.version, 4);
    assert.equal(env.retryCount, 0);
  });

  it('reads a PascalCase body (a .NET retry copy) and bytes headers', () => {
    const pascal = { Id: JOB_ID, JobNameInWorker: 'SendEmailJob', JobData: null, Occurrences: null };
    const env = parseJobMessage({ body: Buffer.from(JSON.stringify(pascal)), headers: { CorrelationId: Buffer.from(OCC), 'x-retry-count': 2 } })._unsafeUnwrap();
    assert.equal(env.jobName, 'SendEmailJob');
    assert.equal(env.jobData, undefined);
    assert.equal(env.retryCount, 2);
    assert.equal(env.occurrenceId, OCC);
  });

  it('keeps jobData as the JSON it was: an array stays an array, an object loses only the keys the schema never keeps', () => {
    const parse = (jobData: string) => parseJobMessage({ body: `{"id":"${JOB_ID}","jobNameInWorker":"J","jobData":${jobData}}`, headers: { CorrelationId: OCC } })._unsafeUnwrap();
    assert.equal(parse('[1,{"a":2}]').jobData, '[1,{"a":2}]', 'was {"0":1,"1":{"a":2}}');
    assert.equal(parse('{"b":1,"a":[2]}').jobData, '{"b":1,"a":[2]}');
    assert.equal(parse('{"__proto__":{"x":1},"constructor":2,"k":3}').jobData, '{"k":3}');
    assert.equal(parse('"text"').jobData, 'text');
    assert.equal(parse('null').jobData, undefined);
  });

  it('reads the optional fields alike on every path: defaults, nulls, and a refusal naming the field', () => {
    const env = (extra: Record<string, unknown>) => parseJobMessage({ body: { id: JOB_ID, jobNameInWorker: 'J', ...extra }, headers: { CorrelationId: OCC } });
    const plain = env({})._unsafeUnwrap();
    assert.deepEqual([plain.version, plain.executionTimeoutSeconds, plain.displayName, plain.executeAt], [1, undefined, undefined, undefined]);
    const nulls = env({ version: null, executionTimeoutSeconds: null, displayName: null, executeAt: null })._unsafeUnwrap();
    assert.deepEqual([nulls.version, nulls.executionTimeoutSeconds, nulls.displayName, nulls.executeAt], [1, undefined, undefined, undefined]);
    const set = env({ version: 3, executionTimeoutSeconds: 0, displayName: 'Nightly', executeAt: '2026-12-07T00:00:00Z' })._unsafeUnwrap();
    assert.deepEqual([set.version, set.executionTimeoutSeconds, set.displayName, set.executeAt], [3, 0, 'Nightly', '2026-12-07T00:00:00Z']);
    assert.match(env({ executionTimeoutSeconds: 1.5 })._unsafeUnwrapErr(), /^Invalid job message: executiontimeoutseconds: /);
    assert.match(env({ jobNameInWorker: 'x'.repeat(257) })._unsafeUnwrapErr(), /^Invalid job message: jobnameinworker: /);
    assert.match(env({ displayName: 7 })._unsafeUnwrapErr(), /^Invalid job message: displayname: /);
    assert.match(env({ jobData: 5 })._unsafeUnwrapErr(), /^Invalid job message: jobdata: /);
  });

  it('prefers the OccurrenceId header, then CorrelationId, then the correlation_id property', () => {
    const other = '11111111-2222-4333-8444-555555555555';
    assert.equal(readOccurrenceId({ OccurrenceId: OCC, CorrelationId: other }, other), OCC);
    assert.equal(readOccurrenceId({ CorrelationId: OCC }, other), OCC);
    assert.equal(readOccurrenceId({ CorrelationId: 'garbage' }, OCC), OCC);
    assert.equal(readOccurrenceId({}, undefined), undefined);
  });

  it('reads x-retry-count in any integer encoding and anything else as 0', () => {
    const le = Buffer.alloc(4);
    le.writeInt32LE(3);
    assert.equal(toRetryCount(3), 3);
    assert.equal(toRetryCount(3n), 3);
    assert.equal(toRetryCount(le), 3);
    assert.equal(toRetryCount('4'), 4);
    for (const bad of [-1, 1.5, 'x', null, {}, Buffer.alloc(2), Number.NaN, 1e12]) assert.equal(toRetryCount(bad), 0);
  });

  it('names every problem of a malformed message', () => {
    const error = parseJobMessage({ body: { id: 'nope', jobNameInWorker: '', executionTimeoutSeconds: 'x' } })._unsafeUnwrapErr();
    assert.match(error, /id: expected a UUID/);
    assert.match(error, /jobnameinworker: must not be empty/);
    assert.match(error, /executiontimeoutseconds/);
    assert.match(error, /occurrence id/);
  });

  it('rejects bodies that are not JSON objects', () => {
    assert.match(parseJobMessage({ body: '' })._unsafeUnwrapErr(), /empty/);
    assert.match(parseJobMessage({ body: '{oops' })._unsafeUnwrapErr(), /not JSON/);
    assert.match(parseJobMessage({ body: '[1]' })._unsafeUnwrapErr(), /an array/);
    assert.match(parseJobMessage({ body: Buffer.from([0xff, 0xfe, 0x00]) })._unsafeUnwrapErr(), /not JSON/);
  });

  it('accepts jobData sent as an embedded object by re-encoding it', () => {
    const env = parseJobMessage({ body: { ...camel, jobData: { a: 1 } }, correlationId: OCC })._unsafeUnwrap();
    assert.equal(env.jobData, '{"a":1}');
  });
});
