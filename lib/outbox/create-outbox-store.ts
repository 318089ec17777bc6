// The LMDB store behind the outbox: pending wire messages keyed by a persistent sequence number, the
// occurrences this worker finalised (for idempotency), and a little metadata. All LMDB I/O lives here.
import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { createRequire } from 'node:module';
import type * as Lmdb from 'lmdb';
import type { Database, RootDatabase } from 'lmdb';

// lmdb (a native module) is loaded when the first store opens, not when this module is imported: the
// milvaion-worker/amqp entry re-exports the outbox, and a worker without one never needs lmdb.
let lmdb: typeof Lmdb | undefined;
const open = ((...args: [never]) => (lmdb ??= createRequire(import.meta.url)('lmdb') as typeof Lmdb).open(...args)) as (typeof Lmdb)['open'];

/** One pending message: what to publish, where, and how to recognise it. */
export interface OutboxEntry {
  /** Stable across restarts and republishes: consumers can drop duplicates by it. */
  readonly messageId: string;
  readonly queue: string;
  /** The message body exactly as it is published (UTF-8 JSON), encoded once when the entry is written. */
  readonly body: Buffer;
  readonly occurrenceId: string;
  readonly kind: 'start' | 'heartbeat' | 'final' | 'log';
  readonly createdAt: number;
}

/** A pending entry with its sequence number (its place in the outbox order). */
export interface StoredEntry extends OutboxEntry {
  readonly seq: number;
}

/**
 * Entries written before the binary layout: msgpack objects holding the message object and its id.
 * They are still read and sent unchanged.
 */
interface LegacyValue {
  readonly queue: string;
  readonly occurrenceId: string;
  readonly kind: OutboxEntry['kind'];
  readonly createdAt: number;
  readonly message: Record<string, unknown>;
  readonly messageId?: string;
}

/** The LMDB store of the outbox. */
export interface OutboxStore {
  readonly path: string;
  /** Appends an entry; resolves when its transaction is committed (it survives a process crash from then on). */
  append(entry: Omit<OutboxEntry, 'messageId'>): Promise<void>;
  /** Up to `limit` pending entries in order, starting at `fromSeq`. */
  read(fromSeq: number, limit: number): StoredEntry[];
  /** Removes sent entries (one transaction for all of them). */
  remove(seqs: readonly number[]): Promise<void>;
  readonly pending: number;
  /** The sequence number the next append gets. */
  readonly nextSeq: number;
  /** Creation time of the oldest pending entry, or undefined when empty. */
  oldestCreatedAt(): number | undefined;
  isFinished(occurrenceId: string): boolean;
  markFinished(occurrenceId: string): void;
  /** Deletes finished-occurrence records older than `olderThan`; returns how many. */
  pruneFinished(olderThan: number): Promise<number>;
  close(): Promise<void>;
}

/** The store cannot be opened; the message says where it is and what to do. */
export class OutboxStoreError extends Error {
  override readonly name = 'OutboxStoreError';
}

/** Options of {@link openOutboxStore}. */
export interface OutboxStoreOptions {
  /** The folder (`OfflineResilience:LocalStoragePath`). */
  readonly directory: string;
  /** What to do with a store that is corrupt: move it aside and start empty (default), or fail. */
  readonly onCorrupt?: 'quarantine' | 'fail';
  readonly report?: (message: string) => void;
  /** LMDB map size in bytes (default 2 GiB; the file grows as needed up to it). */
  readonly mapSize?: number;
  /** Finished-occurrence records read per pruning step (default 10,000). */
  readonly pruneChunk?: number;
}

const FILE = 'outbox.mdb';

/** Opens (or creates) the store with owner-only permissions; a corrupt store is quarantined or reported. */
export function openOutboxStore(options: OutboxStoreOptions): OutboxStore {
  const directory = path.resolve(options.directory);
  try {
    mkdirSync(directory, { recursive: true, mode: 0o700 });
  } catch (error) {
    throw new OutboxStoreError(`Cannot create the outbox folder ${directory}: ${(error as Error).message}. Check OfflineResilience:LocalStoragePath and the folder's permissions.`);
  }
  const file = path.join(directory, FILE);
  const releaseLock = lockDirectory(directory);
  let root: RootDatabase;
  try {
    const problem = existsSync(file) ? probe(file) : undefined;
    if (problem !== undefined) throw new Error(problem);
    root = openRoot(file, options.mapSize);
  } catch (error) {
    const reason = (error as NodeJS.ErrnoException).code === 'EACCES' ? 'permission denied' : (error as Error).message;
    if ((error as NodeJS.ErrnoException).code === 'EACCES' || options.onCorrupt === 'fail') {
      throw new OutboxStoreError(`The outbox store ${file} cannot be opened (${reason}). It may hold statuses not yet sent: fix its permissions, or move it aside to start with an empty outbox.`);
    }
    const aside = `${file}.corrupt-${new Date().toISOString().replace(/[:.]/g, '-')}`;
    for (const name of readdirSync(directory).filter((n) => n.startsWith(FILE) && !n.includes('.corrupt-'))) renameSync(path.join(directory, name), `${aside}${name.slice(FILE.length)}`);
    options.report?.(`The outbox store ${file} could not be opened (${reason}); it was moved to ${aside} and an empty store was created. Statuses it held were not sent: inspect or delete the moved file.`);
    root = openRoot(file, options.mapSize);
  }
  restrict(file);
  // Entries are bytes in our own layout (encodeEntry): neither a write nor the relay's reads walk the
  // message object (msgpack records of it cost a tenth of the worker's CPU). The msgpack view of the same
  // database reads entries an earlier version left behind.
  const entries: Database<Buffer, number> = root.openDB({ name: 'entries', keyEncoding: 'ordered-binary', encoding: 'binary' });
  const legacyEntries: Database<LegacyValue, number> = root.openDB({ name: 'entries', keyEncoding: 'ordered-binary' });
  const finished: Database<number, string> = root.openDB({ name: 'finished' });
  const meta: Database<string, string> = root.openDB({ name: 'meta' });

  let storedId = meta.get('id');
  if (storedId === undefined) {
    storedId = randomBytes(6).toString('hex');
    meta.putSync('id', storedId);
  }
  const storeId: string = storedId;
  const finishing = new Set<string>();
  const pruneChunk = Math.max(1, options.pruneChunk ?? 10_000);
  let last = -1;
  let pending = 0;
  for (const key of entries.getKeys()) {
    if (typeof key !== 'number') continue; // msgpack's shared structures of an earlier version
    last = key;
    pending++;
  }
  // Sequence numbers (and so message ids) must never repeat, even after the outbox was drained empty:
  // the highest one handed out is recorded with every removal, and the next run starts above both.
  const recorded = Number(meta.get('nextSeq') ?? 0);
  let nextSeq = Math.max(last + 1, Number.isSafeInteger(recorded) ? recorded : 0);

  function readEntries(fromSeq: number, limit: number): StoredEntry[] {
    const out: StoredEntry[] = [];
    for (const { key, value } of entries.getRange({ start: fromSeq, limit })) {
      if (typeof key !== 'number') continue;
      out.push(decodeEntry(key, value, storeId) ?? fromLegacy(key, legacyEntries.get(key), storeId));
    }
    return out;
  }

  return {
    path: file,
    append(entry) {
      const seq = nextSeq++;
      pending++;
      // Many appends in one event turn share one LMDB transaction: batching is what makes this fast.
      return entries.put(seq, encodeEntry(entry)).then(() => undefined);
    },
    read: readEntries,
    async remove(seqs) {
      if (seqs.length === 0) return;
      pending -= seqs.length;
      await entries.transaction(() => {
        for (const seq of seqs) entries.removeSync(seq);
        meta.putSync('nextSeq', String(nextSeq));
      });
    },
    get pending() {
      return pending;
    },
    get nextSeq() {
      return nextSeq;
    },
    oldestCreatedAt() {
      return readEntries(0, 1)[0]?.createdAt;
    },
    isFinished: (occurrenceId) => finishing.has(occurrenceId) || finished.get(occurrenceId) !== undefined,
    markFinished(occurrenceId) {
      // Until its record commits (a few ms, more while the disk is busy), the occurrence is known as finished
      // from memory: a duplicate delivered in between must not run again.
      finishing.add(occurrenceId);
      void finished.put(occurrenceId, Date.now()).finally(() => finishing.delete(occurrenceId));
    },
    async pruneFinished(olderThan) {
      // In chunks, each read and removed in its own step: at thousands of jobs a second the table holds
      // millions of records, and one pass in one transaction held the event loop for seconds.
      let removed = 0;
      let after: string | undefined;
      for (;;) {
        const old: string[] = [];
        let last: string | undefined;
        let read = 0;
        for (const { key, value } of finished.getRange(after === undefined ? { limit: pruneChunk } : { start: after, limit: pruneChunk + 1 })) {
          if (key === after) continue;
          read++;
          last = key;
          if (value < olderThan) old.push(key);
        }
        if (old.length > 0) {
          await finished.transaction(() => {
            for (const key of old) {
              // Marked finished again since the read: keep it.
              if ((finished.get(key) ?? Infinity) < olderThan) {
                finished.removeSync(key);
                removed++;
              }
            }
          });
        } else {
          await new Promise((resolve) => setImmediate(resolve));
        }
        if (last === undefined || read < pruneChunk) return removed;
        after = last;
      }
    },
    async close() {
      await root.flushed;
      await root.close();
      releaseLock();
    },
  };
}

const MAGIC = 0xc1; // a byte msgpack never uses: tells our layout from an earlier version's msgpack value
const KINDS: readonly OutboxEntry['kind'][] = ['start', 'heartbeat', 'final', 'log'];

/** [0xc1][kind u8][createdAt f64][queue length u16][queue][occurrence id length u16][occurrence id][body]. */
function encodeEntry(entry: Omit<OutboxEntry, 'messageId'>): Buffer {
  const queue = Buffer.from(entry.queue);
  const occurrence = Buffer.from(entry.occurrenceId);
  const head = Buffer.allocUnsafe(14 + queue.length);
  head[0] = MAGIC;
  head[1] = KINDS.indexOf(entry.kind);
  head.writeDoubleLE(entry.createdAt, 2);
  head.writeUInt16LE(queue.length, 10);
  queue.copy(head, 12);
  head.writeUInt16LE(occurrence.length, 12 + queue.length);
  return Buffer.concat([head, occurrence, entry.body]);
}

/** Our layout back to an entry, or undefined for a value of the earlier msgpack format. */
function decodeEntry(seq: number, value: Buffer, storeId: string): StoredEntry | undefined {
  if (value[0] !== MAGIC || value.length < 14) return undefined;
  const queueEnd = 12 + value.readUInt16LE(10);
  const occurrenceEnd = queueEnd + 2 + value.readUInt16LE(queueEnd);
  return {
    seq,
    messageId: `${storeId}-${seq}`,
    kind: KINDS[value[1]!] ?? 'log',
    createdAt: value.readDoubleLE(2),
    queue: value.toString('utf8', 12, queueEnd),
    occurrenceId: value.toString('utf8', queueEnd + 2, occurrenceEnd),
    // lmdb hands out a copy per value for binary encoding, so the body can stay a view of it.
    body: value.subarray(occurrenceEnd),
  };
}

function fromLegacy(seq: number, value: LegacyValue | undefined, storeId: string): StoredEntry {
  return {
    seq,
    messageId: value?.messageId ?? `${storeId}-${seq}`,
    kind: value?.kind ?? 'log',
    createdAt: value?.createdAt ?? 0,
    queue: value?.queue ?? '',
    occurrenceId: value?.occurrenceId ?? '',
    body: Buffer.from(JSON.stringify(value?.message ?? {})),
  };
}

/**
 * One worker process per outbox: the sequence counter lives in memory, so two writers would overwrite each
 * other's entries. A lock file names the owner; a lock left by a dead process is taken over.
 */
function lockDirectory(directory: string): () => void {
  const lock = path.join(directory, 'outbox.lock');
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      writeFileSync(lock, String(process.pid), { flag: 'wx', mode: 0o600 });
      return () => rmSync(lock, { force: true });
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw new OutboxStoreError(`Cannot lock the outbox folder ${directory}: ${(error as Error).message}`);
      const owner = Number(readFileSync(lock, 'utf8'));
      if (Number.isInteger(owner) && owner > 0 && owner !== process.pid && isAlive(owner)) {
        throw new OutboxStoreError(`The outbox ${directory} is in use by process ${owner}. Give every worker process its own OfflineResilience:LocalStoragePath.`);
      }
      rmSync(lock, { force: true }); // stale: its process is gone
    }
  }
  throw new OutboxStoreError(`Cannot lock the outbox folder ${directory}`);
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

const PROBE = fileURLToPath(new URL('./probe-outbox-store.mjs', import.meta.url));

/** Reads the whole store in a child process; returns what is wrong with it, or undefined when it is fine. */
function probe(file: string): string | undefined {
  const result = spawnSync(process.execPath, [PROBE, file], { encoding: 'utf8', timeout: 60_000 });
  if (result.status === 0) return undefined;
  if (result.error) return `the store check could not run: ${result.error.message}`;
  if (result.signal) return `reading it crashed LMDB (${result.signal}): the file is corrupt`;
  return result.stderr.trim() || `the store check exited with ${result.status}`;
}

function openRoot(file: string, mapSize: number | undefined): RootDatabase {
  const root = open({ path: file, maxDbs: 4, mapSize: mapSize ?? 2 * 1024 ** 3, encoding: 'msgpack' });
  // Opening is lazy in places; touch it so a corrupt file fails here, not at the first write.
  root.openDB({ name: 'meta' }).get('id');
  return root;
}

function restrict(file: string): void {
  for (const candidate of [file, `${file}-lock`]) {
    if (existsSync(candidate)) chmodSync(candidate, 0o600);
  }
}
