// The occurrences this worker finished, kept for RecordRetentionDays so a redelivered or re-dispatched copy
// does not run again. Checked for every delivery, so at thousands of jobs a second the table holds millions
// of records and its pages stay mapped: each record is compact (a UUID as its 16 bytes behind a tag byte, the
// time in whole seconds), about half the pages of the text-keyed table of earlier versions ('finished'),
// which is still read, and pruned, until its records age out.
import type { Database, RootDatabase } from 'lmdb';
import { pruneFinished } from './prune-finished.js';
import type { SettleWrite } from './outbox-commit-error.js';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** The key of an occurrence id: 0x01 and the 16 bytes of a UUID, or 0x02 and the UTF-8 of any other id. */
export function finishedKey(occurrenceId: string): Buffer {
  if (UUID.test(occurrenceId)) {
    const key = Buffer.allocUnsafe(17);
    key[0] = 1;
    key.write(occurrenceId.replace(/-/g, ''), 1, 'hex');
    return key;
  }
  return Buffer.concat([Buffer.of(2), Buffer.from(occurrenceId, 'utf8')]);
}

/** The finished-occurrence records of one store. */
export interface FinishedRecords {
  has(occurrenceId: string): boolean;
  add(occurrenceId: string): void;
  /** Deletes records older than `olderThan` (ms since epoch) in steps of `chunk`; returns how many. */
  prune(olderThan: number, chunk: number): Promise<number>;
  /** The compact table (the store counts its pages). */
  readonly database: Database<number, Buffer>;
}

/** Opens the two tables (compact, and the text-keyed one of earlier versions) in a store's root. */
export function createFinishedRecords(root: RootDatabase, settle: SettleWrite): FinishedRecords {
  const compact: Database<number, Buffer> = root.openDB({ name: 'finished-ids', keyEncoding: 'binary' });
  const legacy: Database<number, string> = root.openDB({ name: 'finished' });
  // Until the text-keyed table is empty, a lookup reads it too (a store written by an earlier version).
  let legacyLeft = legacy.getKeysCount({ limit: 1 }) > 0;
  // Until its record commits (a few ms, more while the disk is busy), an occurrence is known as finished from
  // memory: a duplicate delivered in between must not run again. A record that did not commit (a full disk)
  // stays known from memory for the life of the process; its delivery was acked, only a restart forgets it.
  const finishing = new Set<string>();

  return {
    has: (occurrenceId) => finishing.has(occurrenceId) || compact.get(finishedKey(occurrenceId)) !== undefined || (legacyLeft && legacy.get(occurrenceId) !== undefined),
    add(occurrenceId) {
      finishing.add(occurrenceId);
      void settle(compact.put(finishedKey(occurrenceId), Math.floor(Date.now() / 1000))).then(
        () => finishing.delete(occurrenceId),
        () => undefined,
      );
    },
    async prune(olderThan, chunk) {
      let removed = await pruneFinished(compact, (seconds) => seconds * 1000 < olderThan, chunk, settle);
      if (legacyLeft) {
        removed += await pruneFinished(legacy, (ms) => ms < olderThan, chunk, settle);
        legacyLeft = legacy.getKeysCount({ limit: 1 }) > 0;
      }
      return removed;
    },
    database: compact,
  };
}
