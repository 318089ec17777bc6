// toOutboxCommitError(): lmdb's "Commit failed" with its cause on a second promise becomes one error naming the
// folder and the cause's code, and that second promise is listened to (else its rejection ends the process).
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { commitCauseCode, OutboxCommitError, toOutboxCommitError } from '../../lib/outbox/outbox-commit-error.ts';

/** A write rejected as lmdb rejects it: the message says little, `commitError` rejects with the cause. */
function lmdbFailure(cause: Error & { code?: number }): Error & { commitError: Promise<never> } {
  const error = Object.assign(new Error('Commit failed (see commitError for details)'), { commitError: Promise.reject(cause) });
  return error;
}

describe('toOutboxCommitError', () => {
  it("reads the cause from lmdb's commitError and names the folder and the code", async () => {
    const cause = Object.assign(new Error('No space left on device: Attempting to write page at position 3141632'), { code: 28 });
    const error = await toOutboxCommitError(lmdbFailure(cause), '/data/outbox');
    assert.ok(error instanceof OutboxCommitError);
    assert.equal(error.code, 'ENOSPC');
    assert.equal(error.message, 'The outbox cannot write to /data/outbox: No space left on device (ENOSPC)');
  });

  it('leaves no unhandled rejection behind', async () => {
    const unhandled: unknown[] = [];
    const listener = (reason: unknown) => unhandled.push(reason);
    process.on('unhandledRejection', listener);
    try {
      await toOutboxCommitError(lmdbFailure(Object.assign(new Error('Input/output error'), { code: 5 })), '/x');
      await new Promise((resolve) => setTimeout(resolve, 20));
      assert.deepEqual(unhandled, []);
    } finally {
      process.off('unhandledRejection', listener);
    }
  });

  it('does not wait for a commitError that never settles', async () => {
    const error = Object.assign(new Error('Commit failed'), { commitError: new Promise(() => undefined) });
    assert.equal((await toOutboxCommitError(error, '/x')).code, 'EUNKNOWN');
  });
});

describe('commitCauseCode', () => {
  it('names errnos, lmdb texts and string codes', () => {
    assert.equal(commitCauseCode({ code: 5 }), 'EIO');
    assert.equal(commitCauseCode({ code: 28 }), 'ENOSPC');
    assert.equal(commitCauseCode({ code: 'EROFS' }), 'EROFS');
    assert.equal(commitCauseCode(new Error('MDB_MAP_FULL: Environment mapsize limit reached')), 'MDB_MAP_FULL');
    assert.equal(commitCauseCode({ code: 77 }), 'E77');
    assert.equal(commitCauseCode('?'), 'EUNKNOWN');
  });
});
