// The error of an outbox write that did not commit: the disk is full or failing, or the store has no room left.
// lmdb rejects every write of a failed transaction with "Commit failed" and hangs the cause on a second promise,
// `commitError`, that rejects too: nobody listening to it is an unhandled rejection, which ends the process.

/** Why a write did not reach the outbox's disk: a failed commit (its code), or no room left before writing. */
export class OutboxCommitError extends Error {
  override readonly name = 'OutboxCommitError';
  constructor(
    message: string,
    /** `ENOSPC`, `EIO`, `MDB_MAP_FULL`, another code of the cause, or `NO_ROOM` when the write was not tried. */
    readonly code: string,
  ) {
    super(message);
  }
}

/** Wraps an LMDB write of the store: its failure becomes an OutboxCommitError, reported and listened to (open-outbox-store.ts). */
export type SettleWrite = <T>(write: Promise<T>) => Promise<T>;

const ERRNO: Readonly<Record<number, string>> = { 5: 'EIO', 28: 'ENOSPC', 122: 'EDQUOT', 30: 'EROFS', [-30792]: 'MDB_MAP_FULL' };

/** The code of a commit's cause: its errno's name (lmdb gives numbers), MDB_MAP_FULL by its text, else `EUNKNOWN`. */
export function commitCauseCode(cause: unknown): string {
  const code = (cause as { code?: unknown } | undefined)?.code;
  if (typeof code === 'string' && code !== '') return code;
  if (typeof code === 'number' && ERRNO[code] !== undefined) return ERRNO[code];
  const message = cause instanceof Error ? cause.message : String(cause);
  if (/MDB_MAP_FULL|mapsize limit/i.test(message)) return 'MDB_MAP_FULL';
  if (/no space left/i.test(message)) return 'ENOSPC';
  if (/input\/output error/i.test(message)) return 'EIO';
  return typeof code === 'number' ? `E${code}` : 'EUNKNOWN';
}

/**
 * Turns a rejected lmdb write into an OutboxCommitError naming the folder and the cause. It listens to lmdb's
 * `commitError` (so it is never an unhandled rejection) and reads the cause from it when it has settled.
 */
export async function toOutboxCommitError(error: unknown, folder: string): Promise<OutboxCommitError> {
  if (error instanceof OutboxCommitError) return error;
  const commitError = (error as { commitError?: unknown } | undefined)?.commitError;
  let cause: unknown = error;
  if (commitError instanceof Promise) {
    // lmdb rejects it in the same callback as the write, or never (a failed condition): wait one turn at most.
    const settled = await Promise.race([commitError.then(() => undefined, (reason: unknown) => reason), new Promise<undefined>((resolve) => setImmediate(() => resolve(undefined)))]);
    if (settled !== undefined) cause = settled;
  }
  const code = commitCauseCode(cause);
  const text = (cause instanceof Error ? cause.message : String(cause)).split(':')[0] ?? '';
  return new OutboxCommitError(`The outbox cannot write to ${folder}: ${text} (${code})`, code);
}

/**
 * Wraps every LMDB write of a store: a failed commit rejects with an OutboxCommitError naming the folder and
 * the cause (the reporter is told), and lmdb's own promises of the transaction are listened to. lmdb starts an
 * event turn's batch with a write of its own whose promise it drops: when that commit fails, the rejection
 * would be unhandled and end the process. It is lmdb's current commit promise right after lmdb's batch task
 * (a setImmediate queued by the turn's first write), so one setImmediate of ours, queued after it, listens to it.
 */
export function settleWrites(root: { readonly committed: Promise<unknown> }, folder: string, report: ((error: OutboxCommitError) => void) | undefined): SettleWrite {
  let listening = false;
  const listen = () => {
    listening = false;
    root.committed.then(
      () => undefined,
      () => undefined,
    );
  };
  return (write) => {
    if (!listening) {
      listening = true;
      setImmediate(listen);
    }
    return write.catch(async (error: unknown) => {
      const failure = await toOutboxCommitError(error, folder);
      report?.(failure);
      throw failure;
    });
  };
}

