// The redeliveries this worker could not explain, per occurrence, kept in the outbox's store so that a crash
// loop is counted across restarts of the process (protocol §1.5: a classic queue counts no deliveries). Touched
// only for a redelivered delivery and for a delivery given back on purpose, never on a first delivery's path.
import type { Database, RootDatabase } from 'lmdb';
import type { CrashCount, RedeliveryRecords } from '../core/vocabulary/ports.js';
import { finishedKey } from './create-finished-records.js';
import { pruneFinished } from './prune-finished.js';
import type { SettleWrite } from './outbox-commit-error.js';

/** A record: when it was last written (whole seconds), the crashes counted, and 1 while a release waits. */
type Value = readonly [at: number, crashes: number, released: 0 | 1];

/** The records of one store, and their retention. */
export interface StoredRedeliveryRecords extends RedeliveryRecords {
  /** Deletes records last written before `olderThan` (ms since epoch) in steps of `chunk`; returns how many. */
  prune(olderThan: number, chunk: number): Promise<number>;
}

/** Opens the table in a store's root; every write goes through `settle` (a failed commit becomes an OutboxCommitError). */
export function createRedeliveryRecords(root: RootDatabase, settle: SettleWrite): StoredRedeliveryRecords {
  const records: Database<Value, Buffer> = root.openDB({ name: 'redeliveries', keyEncoding: 'binary' });
  const now = () => Math.floor(Date.now() / 1000);
  return {
    async noteRedelivery(occurrenceId) {
      const key = finishedKey(occurrenceId);
      const [, crashes, released] = records.get(key) ?? [0, 0, 0];
      const count: CrashCount = released === 1 ? { crashes, counted: false } : { crashes: crashes + 1, counted: true };
      await settle(records.put(key, [now(), count.crashes, 0]));
      return count;
    },
    async release(occurrenceId) {
      const key = finishedKey(occurrenceId);
      await settle(records.put(key, [now(), records.get(key)?.[1] ?? 0, 1]));
    },
    prune: (olderThan, chunk) => pruneFinished(records, ([at]) => at * 1000 < olderThan, chunk, settle),
  };
}
