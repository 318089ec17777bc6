// coalesceStatuses(): which Running and job heartbeats a final status in the same relay round supersedes.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { StoredEntry } from '../../lib/outbox/open-outbox-store.ts';
import { coalesceStatuses } from '../../lib/outbox/coalesce-statuses.ts';

let seq = 0;
const entry = (occurrenceId: string, kind: StoredEntry['kind']): StoredEntry => ({
  seq: seq++, messageId: `m-${seq}`, queue: kind === 'log' ? 'worker_logs_queue' : 'job_status_updates_queue', body: Buffer.alloc(0), occurrenceId, kind, createdAt: 0,
});

describe('coalesceStatuses', () => {
  it('sends only the final when Running, job heartbeats and the final of an occurrence wait together; logs stay', () => {
    const batch = [entry('a', 'start'), entry('a', 'log'), entry('b', 'start'), entry('a', 'heartbeat'), entry('a', 'final'), entry('b', 'log')];
    const { send, supersededBy } = coalesceStatuses(batch);
    assert.deepEqual(send.map((e) => `${e.occurrenceId}:${e.kind}`), ['a:log', 'b:start', 'a:final', 'b:log']);
    const final = batch[4]!;
    assert.deepEqual(supersededBy.get(final.seq)!.map((e) => e.kind), ['start', 'heartbeat']);
  });

  it('keeps Running when the final is not in the batch', () => {
    const batch = [entry('c', 'start'), entry('c', 'log')];
    assert.deepEqual(coalesceStatuses(batch).send, batch);
  });
});
