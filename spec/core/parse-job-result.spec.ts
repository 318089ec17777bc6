// parseJobResult: a job's returned value checked against its result schema; InvalidJobResultError reports it.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import * as v from 'valibot';
import { defineJob } from '../../lib/index.ts';
import { InvalidJobResultError } from '../../lib/core/vocabulary/invalid-job-result-error.ts';
import { formatException } from '../../lib/core/engine/format-exception.ts';
import { isPermanentError } from '../../lib/core/vocabulary/permanent-job-error.ts';
import { parseJobResult } from '../../lib/core/engine/parse-job-result.ts';
import { toResultString } from '../../lib/core/engine/to-result-string.ts';

describe('parseJobResult', () => {
  it('passes any value through when the job declares no result schema', () => {
    const job = defineJob({ name: 'FreeJob', run: () => 'text' });
    assert.equal(parseJobResult(job, 'not json')._unsafeUnwrap(), 'not json');
    assert.equal(parseJobResult(job, undefined)._unsafeUnwrap(), undefined);
  });

  it("returns the schema's output: transforms applied, unknown keys dropped", () => {
    const job = defineJob({ name: 'TotalJob', result: v.object({ total: v.pipe(v.string(), v.transform(Number)) }), run: () => ({ total: '3.5' }) });
    const output = parseJobResult(job, { total: '3.5', secret: 'x' })._unsafeUnwrap();
    assert.deepEqual(output, { total: 3.5 });
    assert.equal(toResultString(output, 'TotalJob'), '{"total":3.5}');
  });

  it('lists every failing field with its path, and (root) for the value itself', () => {
    const job = defineJob({ name: 'ShapeJob', result: v.object({ total: v.number(), lines: v.array(v.object({ sku: v.string() })) }), run: () => ({ total: 1, lines: [] }) });
    assert.deepEqual(parseJobResult(job, { total: '1', lines: [{ sku: 'a' }, { sku: 2 }] })._unsafeUnwrapErr(), [
      'total: Invalid type: Expected number but received "1"',
      'lines.1.sku: Invalid type: Expected string but received 2',
    ]);
    assert.deepEqual(parseJobResult(job, 'done')._unsafeUnwrapErr(), ['(root): Invalid type: Expected Object but received "done"']);
  });
});

describe('InvalidJobResultError', () => {
  it('is permanent and formats like invalid job data: the fields, no stack frames', () => {
    const error = new InvalidJobResultError('ShapeJob', ['total: Invalid type', 'lines.1.sku: Invalid type']);
    assert.equal(isPermanentError(error), true);
    assert.deepEqual(error.issues, ['total: Invalid type', 'lines.1.sku: Invalid type']);
    assert.equal(formatException(error), 'Type: InvalidJobResultError\nMessage: Invalid job result for ShapeJob: total: Invalid type; lines.1.sku: Invalid type\nStackTrace: \n');
  });
});
