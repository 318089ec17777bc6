// Forgets finished-occurrence records older than the retention, in chunks, each read and removed in its own
// step: at thousands of jobs a second the table holds millions of records, and one pass in one transaction
// held the event loop for seconds.
import type { Database } from 'lmdb';
import type { SettleWrite } from './outbox-commit-error.js';

type Key = string | Buffer;

const sameKey = (a: Key, b: Key | undefined): boolean => (typeof a === 'string' ? a === b : b !== undefined && typeof b !== 'string' && a.equals(b));

/** Removes the records whose value `isOld` says is past the retention, in steps of `chunk`; returns how many. */
export async function pruneFinished<V, K extends Key>(finished: Database<V, K>, isOld: (value: V) => boolean, chunk: number, settle: SettleWrite): Promise<number> {
  let removed = 0;
  let after: K | undefined;
  for (;;) {
    const old: K[] = [];
    let last: K | undefined;
    let read = 0;
    for (const { key, value } of finished.getRange(after === undefined ? { limit: chunk } : { start: after, limit: chunk + 1 })) {
      if (sameKey(key, after)) continue;
      read++;
      last = key;
      if (isOld(value)) old.push(key);
    }
    if (old.length > 0) removed += await removeOld(finished, old, isOld, settle);
    else await new Promise((resolve) => setImmediate(resolve));
    if (last === undefined || read < chunk) return removed;
    after = last;
  }
}

async function removeOld<V, K extends Key>(finished: Database<V, K>, keys: readonly K[], isOld: (value: V) => boolean, settle: SettleWrite): Promise<number> {
  let removed = 0;
  await settle(finished.transaction(() => {
    for (const key of keys) {
      // Marked finished again since the read: keep it.
      const value = finished.get(key);
      if (value !== undefined && isOld(value)) {
        finished.removeSync(key);
        removed++;
      }
    }
  }));
  return removed;
}
