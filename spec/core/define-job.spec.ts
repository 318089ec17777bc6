import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import * as v from 'valibot';
import { defineJob } from '../../lib/index.ts';
import { isJobDefinition } from '../../lib/define-job.ts';

describe('defineJob', () => {
  it('keeps the name, schema, defaults and function', () => {
    const schema = v.object({ to: v.string() });
    const job = defineJob({ name: 'SendEmailJob', data: schema, maxRetries: 5, consumerId: 'email', run: (d) => d.to });
    assert.equal(job.name, 'SendEmailJob');
    assert.equal(job.schema, schema);
    assert.deepEqual(job.defaults, { maxRetries: 5, consumerId: 'email' });
    assert.equal(isJobDefinition(job), true);
    assert.equal(isJobDefinition({ name: 'x' }), false);
  });

  it('rejects a bad name, a non-function and wrong defaults, naming each problem', () => {
    assert.throws(() => defineJob({ name: 'has space', run: () => 1 }), /name must be an identifier/);
    assert.throws(() => defineJob({ name: 'X', run: 5 as never }), /run must be a function/);
    assert.throws(
      () => defineJob({ name: 'X', maxRetries: -1, timeoutz: 3, run: () => 1 } as never),
      (e: Error) => /maxRetries must be a non-negative number/.test(e.message) && /unknown option "timeoutz"/.test(e.message),
    );
  });
});
