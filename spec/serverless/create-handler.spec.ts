import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import * as v from 'valibot';
import { createHandler, defineJob, JobStatus, PermanentJobError } from '../../lib/index.ts';

const JOB_ID = '0f8fad5b-d9cb-469f-a165-70867728950e';
const OCC = '7c9e6679-7425-40de-944b-e07fc1f90ae7';
let flakyCalls = 0;
const jobs = [
  defineJob({ name: 'SumJob', data: v.object({ a: v.number(), b: v.number() }), run: (d, ctx) => (ctx.log.info('adding'), d.a + d.b) }),
  defineJob({ name: 'FlakyJob', maxRetries: 2, baseRetryDelaySeconds: 0, run: () => (++flakyCalls < 2 ? Promise.reject(new Error('once')) : 'ok') }),
  defineJob({ name: 'BrokenJob', run: () => { throw new PermanentJobError('never'); } }),
  defineJob({ name: 'WaitJob', run: (_d, ctx) => new Promise((_r, reject) => ctx.signal.addEventListener('abort', () => reject(ctx.signal.reason))) }),
];

describe('createHandler', () => {
  const handle = createHandler({ jobs });

  it('runs the scheduler JSON body and returns Completed with the result string and logs', async () => {
    const result = await handle(JSON.stringify({ id: JOB_ID, jobNameInWorker: 'SumJob', jobData: '{"a":2,"b":3}' }));
    assert.equal(result.status, JobStatus.Completed);
    assert.equal(result.statusName, 'Completed');
    assert.equal(result.result, '5');
    assert.deepEqual(result.logs.map((l) => l.message), ['adding']);
    assert.match(result.occurrenceId!, /^[0-9a-f-]{36}$/);
  });

  it('takes a wrapped message with headers and keeps its occurrence id', async () => {
    const result = await handle({ body: { id: JOB_ID, jobNameInWorker: 'SumJob', jobData: '{"a":1,"b":1}' }, headers: { CorrelationId: OCC } });
    assert.equal(result.occurrenceId, OCC);
    assert.equal(result.result, '2');
  });

  it('retries in-process and reports permanent failures and invalid messages', async () => {
    const flaky = await handle({ id: JOB_ID, jobNameInWorker: 'FlakyJob' });
    assert.equal(flaky.result, 'ok');
    assert.equal(flakyCalls, 2);
    const broken = await handle({ id: JOB_ID, jobNameInWorker: 'BrokenJob' });
    assert.equal(broken.status, JobStatus.Failed);
    assert.match(broken.exception!, /PermanentJobError/);
    const invalid = await handle('not json');
    assert.equal(invalid.status, JobStatus.Failed);
    assert.match(invalid.exception!, /not JSON/);
  });

  it('stops the job when the invocation signal aborts (the host is out of time)', async () => {
    const controller = new AbortController();
    const pending = handle({ id: JOB_ID, jobNameInWorker: 'WaitJob' }, { signal: controller.signal });
    setTimeout(() => controller.abort(), 5);
    const result = await pending;
    assert.equal(result.status, JobStatus.Cancelled);
  });
});
