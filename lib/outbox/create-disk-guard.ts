// The outbox's disk guard: it keeps LMDB from ever meeting a full disk (below the reserve no new entry is
// written), stops writes when a commit fails anyway, and retries with a backoff until the store commits again.
// It warns before the disk is full. Never writing into a full disk matters beyond the outage: lmdb 3.5's commit
// on ENOSPC formats its error into a 100-byte buffer too small for it, which can corrupt the heap and abort.
import type { TechnicalLogger } from '../core/vocabulary/types.js';
import { retryDelay } from '../core/engine/retry-delay.js';
import { errorMessage } from '../core/util/error-message.js';
import type { OutboxCommitError } from './outbox-commit-error.js';
import { entryFootprint, toSizeText, type DiskRoom } from './to-disk-room.js';

/** The outbox's disk, as health reports show it. */
export interface OutboxDiskHealth {
  /** `low`: below the warning; `full`: below the reserve, no new entries; `failing`: a commit failed, retried with a backoff. */
  readonly state: 'ok' | 'low' | 'full' | 'failing';
  /** Free bytes of the disk plus the spare pages of the store (undefined when the disk cannot be measured). */
  readonly roomBytes: number | undefined;
  /** What is wrong, naming the folder; undefined while `ok`. */
  readonly reason: string | undefined;
}

/** Options of {@link createDiskGuard}. */
export interface DiskGuardOptions {
  readonly folder: string;
  /** The disk's room now; undefined when it cannot be measured (then only failed commits stop writes). */
  readonly measure: () => DiskRoom | undefined;
  /** Commits a small write: resolves once the store commits again. */
  readonly probe: () => Promise<void>;
  /** Longest wait between two tries of a failing store (`SyncIntervalSeconds`). */
  readonly maxBackoffMs: number;
  readonly logger: TechnicalLogger;
  /** Told each time writes stop or may go on again. */
  readonly onChange: () => void;
}

/** The guard of one outbox's disk. */
export interface DiskGuard {
  /** Whether an entry of `bytes` may be written now; each one admitted is `settled()` once its write ends. */
  admit(bytes: number): boolean;
  /** An admitted write committed or failed. */
  settled(bytes: number): void;
  /** A write did not commit: writes stop until a try commits. */
  failed(error: OutboxCommitError): void;
  /** Measures the disk (the outbox calls it every second): warns, stops or lets writes go on. */
  check(): void;
  health(): OutboxDiskHealth;
  /** Stops the retries. */
  close(): void;
}

/** Creates the guard; nothing is measured until the first `admit()` or `check()`. */
export function createDiskGuard(options: DiskGuardOptions): DiskGuard {
  const { folder, logger } = options;
  let room: DiskRoom | undefined;
  let state: OutboxDiskHealth['state'] = 'ok';
  // Bytes admitted that the last measurement may not show: in flight at the time, or admitted since.
  let inFlight = 0;
  let unmeasured = 0;
  let failure: { error: OutboxCommitError; since: number; tries: number; nextMs: number } | undefined;
  let timer: NodeJS.Timeout | undefined;
  let closed = false;

  const measure = () => {
    try {
      room = options.measure();
    } catch (error) {
      room = undefined;
      logger.debug(`Outbox: cannot measure the disk of ${folder}: ${errorMessage(error)}`);
    }
    unmeasured = inFlight;
  };
  const setState = (next: OutboxDiskHealth['state']) => {
    if (next === state) return;
    const before = state;
    state = next;
    if (next === 'low' && before === 'ok') logger.warn(`Outbox disk nearly full: ${describeRoom(room, folder)}; below ${toSizeText(room?.reserveBytes ?? 0)} (OfflineResilience:DiskSpaceReserveBytes) the worker stops taking jobs`);
    if (next === 'full') logger.error(`Outbox disk full: ${describeRoom(room, folder)}, below the reserve of ${toSizeText(room?.reserveBytes ?? 0)} (OfflineResilience:DiskSpaceReserveBytes); the worker takes no new jobs and keeps sending what the outbox holds; nothing is dropped`);
    if (next === 'ok' && before === 'low') logger.info(`Outbox disk has room again: ${describeRoom(room, folder)}`);
    if ((next === 'ok' || next === 'low') && (before === 'full' || before === 'failing')) logger.info(`Outbox can write to ${folder} again (${describeRoom(room, folder)}): the worker takes new jobs`);
    if (before === 'full' || before === 'failing' || next === 'full' || next === 'failing') options.onChange();
  };
  // Stopped below the reserve, a disk goes on only with twice the reserve: a drain by a few pages must not flap.
  const levelOf = (stopped: boolean): 'ok' | 'low' | 'full' => {
    if (room === undefined) return 'ok';
    if (stopped && room.roomBytes < 2 * room.reserveBytes) return 'full';
    return room.level;
  };

  const retry = () => {
    if (closed || failure === undefined) return;
    const f = failure;
    f.nextMs = retryDelay(Math.min(f.tries, 10), 1000, { maxDelayMs: options.maxBackoffMs });
    timer = setTimeout(() => void tryCommit(f), f.nextMs);
    timer.unref();
  };
  const tryCommit = async (f: NonNullable<typeof failure>) => {
    f.tries++;
    measure();
    // No write into a disk below its reserve: that write is the one that fails (and lmdb's ENOSPC path is unsafe).
    if (room !== undefined && levelOf(true) === 'full') return retry();
    try {
      await options.probe();
    } catch {
      return retry();
    }
    if (closed || failure !== f) return;
    failure = undefined;
    measure();
    setState(levelOf(false));
  };

  return {
    admit(bytes) {
      if (state === 'failing' || state === 'full') return false;
      const cost = entryFootprint(bytes);
      // Measured again once the estimate crosses the next threshold: the warning while ok, the reserve after.
      const threshold = (r: DiskRoom) => (state === 'ok' ? r.warningBytes : r.reserveBytes);
      if (room === undefined || room.roomBytes - unmeasured - cost < threshold(room)) {
        measure();
        if (room !== undefined && room.roomBytes - unmeasured - cost < room.reserveBytes) {
          setState('full');
          return false;
        }
        setState(levelOf(false));
      }
      inFlight += cost;
      unmeasured += cost;
      return true;
    },
    settled(bytes) {
      inFlight = Math.max(0, inFlight - entryFootprint(bytes));
    },
    failed(error) {
      if (closed || failure !== undefined) return;
      failure = { error, since: Date.now(), tries: 0, nextMs: 0 };
      logger.error(`${error.message}: the worker takes no new jobs, keeps sending what the outbox holds, and tries to write again with a backoff; nothing is dropped`);
      setState('failing');
      retry();
    },
    check() {
      measure();
      if (state !== 'failing') setState(levelOf(state === 'full'));
    },
    health() {
      const roomBytes = room?.roomBytes;
      switch (state) {
        case 'ok':
          return { state, roomBytes, reason: undefined };
        case 'low':
          return { state, roomBytes, reason: `the outbox's disk is nearly full: ${describeRoom(room, folder)}` };
        case 'full':
          return { state, roomBytes, reason: `the outbox's disk is full: ${describeRoom(room, folder)}, below the reserve of ${toSizeText(room?.reserveBytes ?? 0)}` };
        case 'failing':
          return { state, roomBytes, reason: `${failure?.error.message ?? `the outbox cannot write to ${folder}`}; trying again every ${Math.round((failure?.nextMs ?? 0) / 1000)} s` };
        default:
          return state satisfies never;
      }
    },
    close() {
      closed = true;
      clearTimeout(timer);
    },
  };
}

function describeRoom(room: DiskRoom | undefined, folder: string): string {
  return room === undefined ? `${folder}` : `${toSizeText(room.roomBytes)} left for ${folder} (of ${toSizeText(room.totalBytes)})`;
}
