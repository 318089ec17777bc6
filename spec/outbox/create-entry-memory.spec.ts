// createEntryMemory(): the relay reads committed entries of this run from memory, and from LMDB whatever the
// memory cannot vouch for (an earlier run's entries, a backlog past the cap).
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { createEntryMemory } from '../../lib/outbox/create-entry-memory.ts';
import type { StoredEntry } from '../../lib/outbox/open-outbox-store.ts';

/** A store's bookkeeping as the memory sees it: appended seqs until removed. */
function fakeStore(earlier: number[] = []) {
  const seqs = new Set(earlier);
  let nextSeq = earlier.length === 0 ? 0 : Math.max(...earlier) + 1;
  return {
    get nextSeq() {
      return nextSeq;
    },
    get pending() {
      return seqs.size;
    },
    pendingSeqs: () => seqs.values(),
    append: () => {
      seqs.add(nextSeq);
      return nextSeq++;
    },
    remove: (seq: number) => seqs.delete(seq),
  };
}
const entry = (seq: number): StoredEntry => ({ seq, messageId: `s-${seq}`, queue: 'q', body: Buffer.from(`${seq}`), occurrenceId: `o${seq}`, kind: 'log', createdAt: 0 });

describe('createEntryMemory', () => {
  it('answers reads with the committed entries in seq order, not the uncommitted nor the forgotten', () => {
    const store = fakeStore();
    const memory = createEntryMemory(store, 100);
    const [a, b, c, d] = [store.append(), store.append(), store.append(), store.append()];
    memory.committed(entry(a));
    memory.committed(entry(c)); // b still committing
    memory.committed(entry(b)); // out of order: the read sorts
    assert.deepEqual(memory.read(0, 10)?.map((e) => e.seq), [a, b, c]);
    memory.forget(b); // its removal began
    assert.deepEqual(memory.read(0, 10)?.map((e) => e.seq), [a, c]);
    assert.deepEqual(memory.read(c, 10)?.map((e) => e.seq), [c]);
    assert.deepEqual(memory.read(0, 1)?.map((e) => e.seq), [a]);
    assert.equal(d, 3);
  });

  it('leaves reads that reach an earlier run to LMDB until those entries are removed', () => {
    const store = fakeStore([5, 6]);
    const memory = createEntryMemory(store, 100);
    const seq = store.append();
    memory.committed(entry(seq));
    assert.equal(memory.read(0, 10), undefined, 'entries 5 and 6 are only in LMDB');
    assert.deepEqual(memory.read(seq, 10)?.map((e) => e.seq), [seq], 'a live-lane read above them comes from memory');
    memory.forget(5);
    assert.equal(memory.read(0, 10), undefined);
    memory.forget(6);
    assert.deepEqual(memory.read(0, 10)?.map((e) => e.seq), [seq]);
  });

  it('past its cap forgets everything and lets LMDB answer, then starts over once the backlog is under half the cap', () => {
    const store = fakeStore();
    const memory = createEntryMemory(store, 5);
    const seqs = Array.from({ length: 6 }, () => store.append());
    for (const seq of seqs) memory.committed(entry(seq));
    assert.equal(memory.read(0, 10), undefined, 'the sixth commit went past the cap');
    for (const seq of seqs.slice(0, 4)) store.remove(seq);
    const late = store.append();
    memory.committed(entry(late));
    assert.equal(memory.read(late, 10), undefined, 'with more than half the cap pending, LMDB still answers');
    store.remove(seqs[4]!);
    // Starting over: the two still pending are LMDB's; what commits from now on is kept.
    assert.equal(memory.read(0, 10), undefined);
    const next = store.append();
    memory.committed(entry(next));
    assert.deepEqual(memory.read(next, 10)?.map((e) => e.seq), [next]);
    for (const seq of [seqs[5]!, late]) {
      store.remove(seq);
      memory.forget(seq);
    }
    assert.deepEqual(memory.read(0, 10)?.map((e) => e.seq), [next]);
  });
});
