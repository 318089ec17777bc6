// The committed entries of this run, kept in memory until they are removed, so that the relay publishes them
// from here instead of reading back from LMDB what was just written (that read and its decoding cost about a
// tenth of the worker's CPU). LMDB stays the crash journal: nothing is published before its commit, and a read
// this memory cannot answer (entries of an earlier run, or a backlog past the cap) goes to LMDB as before.
import type { StoredEntry } from './encode-outbox-entry.js';

/** The in-memory view of a store's committed entries. */
export interface EntryMemory {
  /** The append of `entry` committed: kept, unless past the cap. */
  committed(entry: StoredEntry): void;
  /** An entry that will not be read again: its removal began (the relay sent it), or its append failed. */
  forget(seq: number): void;
  /** Up to `limit` committed entries from `fromSeq` in order, or undefined when only LMDB has them all. */
  read(fromSeq: number, limit: number): StoredEntry[] | undefined;
}

/** What the memory asks of its store. */
export interface EntryMemoryStore {
  /** The seq of the next append. */
  readonly nextSeq: number;
  /** The stored entries not being removed, committed or not. */
  readonly pending: number;
  pendingSeqs(): Iterable<number>;
}

/**
 * Creates the memory of a store. It keeps at most `cap` entries; past that (a long outage) it forgets them all
 * and lets LMDB answer, and starts over once fewer than half the cap are pending.
 */
export function createEntryMemory(store: EntryMemoryStore, cap: number): EntryMemory {
  const kept = new Map<number, StoredEntry>();
  // Every committed entry at or above `floor` is kept until forgotten; `below` holds the stored ones under it
  // (an earlier run's, or those of a backlog past the cap), which only LMDB has. Infinity: nothing is kept.
  let floor = 0;
  let below = new Set<number>();
  let last = -1; // the highest seq kept: an entry committed out of order makes the next read sort the map
  let ordered = true;
  const startOver = () => {
    floor = store.nextSeq;
    below = new Set(store.pendingSeqs());
    last = -1;
  };
  startOver();

  return {
    committed(entry) {
      if (entry.seq < floor) return;
      if (kept.size >= cap) {
        kept.clear();
        below.clear();
        floor = Number.POSITIVE_INFINITY;
        return;
      }
      if (entry.seq < last) ordered = false;
      else last = entry.seq;
      kept.set(entry.seq, entry);
    },
    forget(seq) {
      if (!kept.delete(seq)) below.delete(seq);
    },
    read(fromSeq, limit) {
      if (floor === Number.POSITIVE_INFINITY) {
        if (store.pending >= cap / 2) return undefined;
        startOver();
      }
      if (fromSeq < floor && below.size > 0) return undefined;
      if (!ordered) {
        const sorted = [...kept.values()].sort((a, b) => a.seq - b.seq);
        kept.clear();
        for (const e of sorted) kept.set(e.seq, e);
        ordered = true;
      }
      const out: StoredEntry[] = [];
      if (limit <= 0) return out;
      for (const e of kept.values()) {
        if (e.seq < fromSeq) continue;
        out.push(e);
        if (out.length >= limit) break;
      }
      return out;
    },
  };
}
