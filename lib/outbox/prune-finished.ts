// Forgets finished-occurrence records older than the retention, in chunks, each read and removed in its own
// step: at thousands of jobs a second the table holds millions of records, and one pass in one transaction
// held the event loop for seconds.
import type { Database } from 'lmdb';

/** Removes records older than `olderThan` (ms since epoch) in steps of `chunk`; returns how many. */
export async function pruneFinished(finished: Database<number, string>, olderThan: number, chunk: number): Promise<number> {
  let removed = 0;
  let after: string | undefined;
  for (;;) {
    const old: string[] = [];
    let last: string | undefined;
    let read = 0;
    for (const { key, value } of finished.getRange(after === undefined ? { limit: chunk } : { start: after, limit: chunk + 1 })) {
      if (key === after) continue;
      read++;
      last = key;
      if (value < olderThan) old.push(key);
    }
    if (old.length > 0) removed += await removeOld(finished, old, olderThan);
    else await new Promise((resolve) => setImmediate(resolve));
    if (last === undefined || read < chunk) return removed;
    after = last;
  }
}

async function removeOld(finished: Database<number, string>, keys: readonly string[], olderThan: number): Promise<number> {
  let removed = 0;
  await finished.transaction(() => {
    for (const key of keys) {
      // Marked finished again since the read: keep it.
      if ((finished.get(key) ?? Infinity) < olderThan) {
        finished.removeSync(key);
        removed++;
      }
    }
  });
  return removed;
}
