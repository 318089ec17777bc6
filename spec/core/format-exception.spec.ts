import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { copyPackage } from '../support/copy-package.ts';
import { PermanentJobError } from '../../lib/index.ts';
import { formatException } from '../../lib/core/engine/format-exception.ts';
import { isPermanentError } from '../../lib/core/vocabulary/permanent-job-error.ts';

describe('formatException', () => {
  it('uses the .NET layout with inner exceptions from the cause chain', () => {
    const text = formatException(new TypeError('outer', { cause: new RangeError('inner') }));
    assert.match(text, /^Type: TypeError\nMessage: outer\nStackTrace: +at /);
    assert.match(text, /\nInner Exception:\nType: RangeError\nMessage: inner\n/);
  });

  it('survives non-errors and cyclic causes', () => {
    assert.equal(formatException('plain'), 'Type: string\nMessage: plain\nStackTrace: \n');
    const a = new Error('a');
    const b = new Error('b', { cause: a });
    (a as { cause?: unknown }).cause = b;
    assert.ok(formatException(a).length < 10_000);
  });
});

describe('PermanentJobError', () => {
  it('is found directly or anywhere in the cause chain', () => {
    assert.equal(isPermanentError(new PermanentJobError('x')), true);
    assert.equal(isPermanentError(new Error('wrap', { cause: new Error('mid', { cause: new PermanentJobError('root') }) })), true);
    assert.equal(isPermanentError(new Error('plain')), false);
    const cyclic = new Error('c');
    (cyclic as { cause?: unknown }).cause = cyclic;
    assert.equal(isPermanentError(cyclic), false);
  });

  it('is recognised when it comes from another copy of the package (a CommonJS TypeScript job compiled by tsx has one)', async () => {
    const copy = copyPackage('0.0.0-copy');
    try {
      const other = (await import(copy.url('lib/core/vocabulary/permanent-job-error.ts'))) as { PermanentJobError: typeof PermanentJobError };
      assert.notEqual(other.PermanentJobError, PermanentJobError);
      assert.equal(isPermanentError(new other.PermanentJobError('from the copy')), true);
      assert.equal(isPermanentError(new Error('wrap', { cause: new other.PermanentJobError('root') })), true);
    } finally {
      copy.remove();
    }
  });
});
