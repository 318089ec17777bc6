// The LMDB store behind the outbox: pending wire messages keyed by a persistent sequence number, the
// occurrences this worker finalised (for idempotency), and a little metadata. All LMDB I/O lives here.
import { randomBytes } from 'node:crypto';
import path from 'node:path';
import type { Database, RootDatabase } from 'lmdb';
import { decodeOutboxEntry, encodeOutboxEntry, fromLegacyEntry, type LegacyValue, type OutboxEntry, type StoredEntry } from './encode-outbox-entry.js';
import { openStoreFiles } from './open-store-files.js';
import { createFinishedRecords } from './create-finished-records.js';
import { createRedeliveryRecords } from './create-redelivery-records.js';
import type { RedeliveryRecords } from '../core/vocabulary/ports.js';
import { settleWrites, type OutboxCommitError } from './outbox-commit-error.js';
import { createEntryMemory } from './create-entry-memory.js';

export type { OutboxEntry, StoredEntry };

/** The LMDB store of the outbox. */
export interface OutboxStore {
  readonly path: string;
  /** Appends an entry; resolves when its transaction is committed (it survives a process crash from then on). */
  append(entry: Omit<OutboxEntry, 'messageId'>): Promise<void>;
  /** Up to `limit` pending entries in order, starting at `fromSeq`. */
  read(fromSeq: number, limit: number): StoredEntry[];
  /** Removes sent entries (one transaction for all of them); rejects with an OutboxCommitError, the entries kept. */
  remove(seqs: readonly number[]): Promise<void>;
  readonly pending: number;
  /** The bytes of the pending entries' wire messages. */
  readonly pendingBytes: number;
  /** Bytes of pages inside the LMDB file that are free for new writes (the file never shrinks; LMDB reuses them). */
  spareBytes(): number;
  /** Commits one small write: resolves when the store can commit again, rejects with an OutboxCommitError. */
  probe(): Promise<void>;
  /** The sequence number the next append gets. */
  readonly nextSeq: number;
  /** Creation time of the oldest pending entry, or undefined when empty. */
  oldestCreatedAt(): number | undefined;
  /** Whether the occurrence's final status was stored (a redelivery of it is acked without running). */
  isFinished(occurrenceId: string): boolean;
  /** Records that the occurrence finished here. */
  markFinished(occurrenceId: string): void;
  /** The redeliveries this worker could not explain (crash counts), across restarts. */
  readonly redeliveries: RedeliveryRecords;
  /** LMDB transactions committed since the store opened (the bench reports commits per job). */
  readonly commits: number;
  /** Deletes finished-occurrence and redelivery records older than `olderThan`; returns how many. */
  pruneFinished(olderThan: number): Promise<number>;
  /** Flushes and closes the store and releases its folder; the entries stay on disk for the next start. */
  close(): Promise<void>;
}

import { OutboxStoreError } from './outbox-store-error.js';

export { OutboxStoreError };

/** Options of {@link openOutboxStore}. */
export interface OutboxStoreOptions {
  /** The folder (`OfflineResilience:LocalStoragePath`). */
  readonly directory: string;
  /** What to do with a store that is corrupt: move it aside and start empty (default), or fail. */
  readonly onCorrupt?: 'quarantine' | 'fail';
  /** Told when a corrupt store was moved aside and replaced by an empty one. */
  readonly report?: (message: string) => void;
  /** LMDB map size in bytes (default 2 GiB; the file grows as needed up to it). */
  readonly mapSize?: number;
  /** Finished-occurrence records read per pruning step (default 10,000). */
  readonly pruneChunk?: number;
  /** Told of every write that did not commit (the disk is full or failing), once per failed write. */
  readonly onCommitFailed?: (error: OutboxCommitError) => void;
  /** Committed entries kept in memory for the relay (default 10,000); past it, the relay reads them back from LMDB. */
  readonly memoryCap?: number;
}

/** Opens (or creates) the store with owner-only permissions; a corrupt store is quarantined or reported. */
export function openOutboxStore(options: OutboxStoreOptions): OutboxStore {
  const { file, root, releaseLock } = openStoreFiles(options);
  const settle = settleWrites(root, path.dirname(file), options.onCommitFailed);
  // Entries are bytes in our own layout (encodeEntry): neither a write nor the relay's reads walk the
  // message object (msgpack records of it cost a tenth of the worker's CPU). The msgpack view of the same
  // database reads entries an earlier version left behind.
  const entries: Database<Buffer, number> = root.openDB({ name: 'entries', keyEncoding: 'ordered-binary', encoding: 'binary' });
  const legacyEntries: Database<LegacyValue, number> = root.openDB({ name: 'entries', keyEncoding: 'ordered-binary' });
  const finished = createFinishedRecords(root, settle);
  const redeliveries = createRedeliveryRecords(root, settle);
  const meta: Database<string, string> = root.openDB({ name: 'meta' });

  const storeId = storeIdOf(meta);
  const pruneChunk = Math.max(1, options.pruneChunk ?? 10_000);
  const firstTxnId = lastTxnId(root);
  let closed = false;
  const counted = countEntries(entries, meta);
  const { sizes } = counted;
  let { pending, nextSeq } = counted;
  let pendingBytes = 0;
  for (const size of sizes.values()) pendingBytes += size;
  const used = [root, entries, finished.database, meta] as const;
  const memory = createEntryMemory(
    {
      get nextSeq() {
        return nextSeq;
      },
      get pending() {
        return pending;
      },
      pendingSeqs: () => sizes.keys(),
    },
    options.memoryCap ?? 10_000,
  );

  function readEntries(fromSeq: number, limit: number): StoredEntry[] {
    const remembered = memory.read(fromSeq, limit);
    if (remembered !== undefined) return remembered;
    const out: StoredEntry[] = [];
    for (const { key, value } of entries.getRange({ start: fromSeq, limit })) {
      if (typeof key !== 'number') continue;
      out.push(decodeOutboxEntry(key, value, storeId) ?? fromLegacyEntry(key, legacyEntries.get(key), storeId));
    }
    return out;
  }

  return {
    path: file,
    append(entry) {
      if (closed) return Promise.reject(new OutboxStoreError(`The outbox store ${file} is closed: an entry of ${entry.occurrenceId} was not written`));
      const seq = nextSeq++;
      const size = entry.body.length;
      pending++;
      pendingBytes += size;
      sizes.set(seq, size);
      // Many appends in one event turn share one LMDB transaction: batching is what makes this fast.
      // `pending` counts the entry from here (a drain waits for its commit); a put that fails stored nothing.
      return settle(entries.put(seq, encodeOutboxEntry(entry))).then(
        () => {
          // Still pending (not sent yet, as an LMDB read of the relay could have): the relay reads it from memory.
          if (sizes.has(seq)) memory.committed({ seq, messageId: `${storeId}-${seq}`, queue: entry.queue, body: entry.body, occurrenceId: entry.occurrenceId, kind: entry.kind, createdAt: entry.createdAt });
        },
        (error: unknown) => {
          memory.forget(seq);
          pending--;
          pendingBytes -= size;
          sizes.delete(seq);
          throw error;
        },
      );
    },
    read: readEntries,
    async remove(seqs) {
      if (seqs.length === 0) return;
      const removed = seqs.map((seq) => [seq, sizes.get(seq) ?? 0] as const);
      for (const seq of seqs) memory.forget(seq);
      const count = (sign: 1 | -1) => {
        pending += sign * seqs.length;
        for (const [seq, size] of removed) {
          pendingBytes += sign * size;
          if (sign > 0) sizes.set(seq, size);
          else sizes.delete(seq);
        }
      };
      count(-1);
      try {
        await settle(
          entries.transaction(() => {
            for (const seq of seqs) entries.removeSync(seq);
            meta.putSync('nextSeq', String(nextSeq));
          }),
        );
      } catch (error) {
        count(1); // still stored: counted again, and removed by a later attempt
        throw error;
      }
    },
    get pending() {
      return pending;
    },
    get pendingBytes() {
      return pendingBytes;
    },
    spareBytes() {
      const stats = root.getStats() as LmdbStats & { lastPageNumber: number; free: LmdbStats };
      // Two meta pages, the free list's own pages and every table's pages are in use; the rest of the file is spare.
      const inUse = 2 + pagesOf(stats.free) + used.reduce((sum, db) => sum + pagesOf(db.getStats() as LmdbStats), 0);
      return Math.max(0, stats.lastPageNumber + 1 - inUse) * stats.pageSize;
    },
    probe: () => settle(meta.put('probe', String(Date.now()))).then(() => undefined),
    get nextSeq() {
      return nextSeq;
    },
    oldestCreatedAt() {
      return readEntries(0, 1)[0]?.createdAt;
    },
    isFinished: (occurrenceId) => finished.has(occurrenceId),
    markFinished: (occurrenceId) => finished.add(occurrenceId),
    redeliveries,
    pruneFinished: async (olderThan) => (await finished.prune(olderThan, pruneChunk)) + (await redeliveries.prune(olderThan, pruneChunk)),
    get commits() {
      return lastTxnId(root) - firstTxnId;
    },
    async close() {
      closed = true;
      await root.flushed;
      await root.close();
      releaseLock();
    },
  };
}

/** What lmdb's getStats() gives for a table (its typings leave it untyped). */
interface LmdbStats {
  readonly pageSize: number;
  readonly treeBranchPageCount: number;
  readonly treeLeafPageCount: number;
  readonly overflowPages: number;
}

function pagesOf(stats: LmdbStats): number {
  return stats.treeBranchPageCount + stats.treeLeafPageCount + stats.overflowPages;
}

/** The id of the last committed LMDB transaction (lmdb's typings leave getStats() untyped). */
function lastTxnId(root: RootDatabase): number {
  return Number((root.getStats() as { lastTxnId?: number }).lastTxnId ?? 0);
}

/** The store's own id (the first part of every message id), made once and kept in its metadata. */
function storeIdOf(meta: Database<string, string>): string {
  let id = meta.get('id');
  if (id === undefined) {
    id = randomBytes(6).toString('hex');
    meta.putSync('id', id);
  }
  return id;
}

/** The pending entries left by an earlier run, and the sequence number the next append gets. */
function countEntries(entries: Database<Buffer, number>, meta: Database<string, string>): { pending: number; nextSeq: number; sizes: Map<number, number> } {
  let last = -1;
  let pending = 0;
  const sizes = new Map<number, number>();
  for (const { key, value } of entries.getRange()) {
    if (typeof key !== 'number') continue; // msgpack's shared structures of an earlier version
    last = key;
    pending++;
    sizes.set(key, value.length); // the stored entry: its wire message and a few bytes of its own
  }
  // Sequence numbers (and so message ids) must never repeat, even after the outbox was drained empty:
  // the highest one handed out is recorded with every removal, and the next run starts above both.
  const recorded = Number(meta.get('nextSeq') ?? 0);
  return { pending, sizes, nextSeq: Math.max(last + 1, Number.isSafeInteger(recorded) ? recorded : 0) };
}
