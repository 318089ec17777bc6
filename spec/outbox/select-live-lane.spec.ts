// selectLiveLane(): which entries may go out in the live lane while a backlog drains.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { StoredEntry } from '../../lib/outbox/open-outbox-store.ts';
import { selectLiveLane } from '../../lib/outbox/select-live-lane.ts';

let seq = 0;
const entry = (occurrenceId: string, kind: StoredEntry['kind']): StoredEntry => ({
  seq: seq++, messageId: `m-${seq}`, queue: kind === 'log' ? 'worker_logs_queue' : 'job_status_updates_queue', body: Buffer.alloc(0), occurrenceId, kind, createdAt: 0,
});

describe('selectLiveLane', () => {
  it('takes only occurrences with nothing pending before the live floor, in order', () => {
    const old = entry('old', 'start'); // backlog
    const floor = seq;
    const candidates = [entry('old', 'final'), entry('new', 'start'), entry('new', 'final')];
    const heads = new Map([['old', old.seq], ['new', candidates[1]!.seq]]);
    const live = selectLiveLane(candidates, (o) => heads.get(o), floor);
    assert.deepEqual(live.map((e) => `${e.occurrenceId}:${e.kind}`), ['new:start', 'new:final']);
  });
});
