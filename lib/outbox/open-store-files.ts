// The store's files: the folder (owner-only), a one-process lock, a probe of an existing file in a child
// process (LMDB can SIGSEGV on a corrupt file), quarantine of a corrupt store, and the LMDB root itself.
// lmdb (a native module) is loaded when the first store opens, not when this module is imported: the
// milvaion-worker/amqp entry re-exports the outbox, and a worker without one never needs lmdb.
import { spawnSync } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, readdirSync, readFileSync, readlinkSync, renameSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type * as Lmdb from 'lmdb';
import type { RootDatabase } from 'lmdb';
import { OutboxStoreError } from './outbox-store-error.js';

let lmdb: typeof Lmdb | undefined;
const open = ((...args: [never]) => (lmdb ??= createRequire(import.meta.url)('lmdb') as typeof Lmdb).open(...args)) as (typeof Lmdb)['open'];

const FILE = 'outbox.mdb';

/** What opening the files needs of the store's options (OutboxStoreOptions in open-outbox-store.ts). */
export interface StoreFilesOptions {
  readonly directory: string;
  readonly onCorrupt?: 'quarantine' | 'fail';
  readonly report?: (message: string) => void;
  readonly mapSize?: number;
}

/** Creates or opens the store's folder and LMDB file, locked to this process; quarantines a corrupt store. */
export function openStoreFiles(options: StoreFilesOptions): { file: string; root: RootDatabase; releaseLock: () => void } {
  const directory = path.resolve(options.directory);
  try {
    mkdirSync(directory, { recursive: true, mode: 0o700 });
  } catch (error) {
    throw new OutboxStoreError(`Cannot create the outbox folder ${directory}: ${(error as Error).message}. Check OfflineResilience:LocalStoragePath and the folder's permissions.`);
  }
  const file = path.join(directory, FILE);
  const releaseLock = lockDirectory(directory);
  try {
    const root = openOrQuarantine(directory, file, options);
    restrict(file);
    return { file, root, releaseLock };
  } catch (error) {
    // A process that failed to open the store (and may live on) must not keep the folder from the next one.
    releaseLock();
    throw error;
  }
}

/** Opens the LMDB root; a corrupt file is moved aside (or fails, with `onCorrupt: 'fail'`) and a new one made. */
function openOrQuarantine(directory: string, file: string, options: StoreFilesOptions): RootDatabase {
  try {
    const problem = existsSync(file) ? probe(file) : undefined;
    if (problem !== undefined) throw new Error(problem);
    return openRoot(file, options.mapSize);
  } catch (error) {
    const reason = (error as NodeJS.ErrnoException).code === 'EACCES' ? 'permission denied' : (error as Error).message;
    if ((error as NodeJS.ErrnoException).code === 'EACCES' || options.onCorrupt === 'fail') {
      throw new OutboxStoreError(`The outbox store ${file} cannot be opened (${reason}). It may hold statuses not yet sent: fix its permissions, or move it aside to start with an empty outbox.`);
    }
    const aside = `${file}.corrupt-${new Date().toISOString().replace(/[:.]/g, '-')}`;
    for (const name of readdirSync(directory).filter((n) => n.startsWith(FILE) && !n.includes('.corrupt-'))) renameSync(path.join(directory, name), `${aside}${name.slice(FILE.length)}`);
    options.report?.(`The outbox store ${file} could not be opened (${reason}); it was moved to ${aside} and an empty store was created. Statuses it held were not sent: inspect or delete the moved file.`);
    return openRoot(file, options.mapSize);
  }
}

/**
 * One worker process per outbox: the sequence counter lives in memory, so two writers would overwrite each
 * other's entries. A lock file names the owner; a lock left by a dead process is taken over.
 */
function lockDirectory(directory: string): () => void {
  const lock = path.join(directory, 'outbox.lock');
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      writeLock(lock);
      return () => rmSync(lock, { force: true });
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw new OutboxStoreError(`Cannot lock the outbox folder ${directory}: ${(error as Error).message}. Check OfflineResilience:LocalStoragePath and the folder's permissions.`);
      const owner = readLock(lock);
      if (Number.isInteger(owner) && owner > 0 && owner !== process.pid && isAlive(owner)) {
        throw new OutboxStoreError(`The outbox ${directory} is in use by process ${owner}. Give every worker process its own OfflineResilience:LocalStoragePath.`);
      }
      rmSync(lock, { force: true }); // stale: its process is gone
    }
  }
  throw new OutboxStoreError(`Cannot lock the outbox folder ${directory}: its lock file came back after it was removed. Give every worker process its own OfflineResilience:LocalStoragePath.`);
}

/**
 * Creates the lock file with this process's id. On a full disk the id finds no block to go in: the lock is then
 * a symbolic link whose target is the id, which needs none (its target is kept in the inode), so a worker can
 * start on a full disk, send what its outbox holds and free it.
 */
function writeLock(lock: string): void {
  try {
    writeFileSync(lock, String(process.pid), { flag: 'wx', mode: 0o600 });
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code !== 'ENOSPC' && code !== 'EDQUOT') throw error;
    rmSync(lock, { force: true }); // the empty file this process created before the write failed
    symlinkSync(String(process.pid), lock);
  }
}

/** The process id a lock names: a link's target, or the file's text. */
function readLock(lock: string): number {
  try {
    return Number(readlinkSync(lock));
  } catch {
    return Number(readFileSync(lock, 'utf8'));
  }
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
  const root = open({ path: file, maxDbs: 8, mapSize: mapSize ?? 2 * 1024 ** 3, encoding: 'msgpack' });
  // Opening is lazy in places; touch it so a corrupt file fails here, not at the first write.
  root.openDB({ name: 'meta' }).get('id');
  return root;
}

function restrict(file: string): void {
  for (const candidate of [file, `${file}-lock`]) {
    if (existsSync(candidate)) chmodSync(candidate, 0o600);
  }
}
