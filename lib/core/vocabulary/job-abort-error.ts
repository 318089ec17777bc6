// Why a job's signal was aborted (cancel, timeout, shutdown, filter), and the abort handle of one execution.

/** Who aborted a job's signal. */
export type AbortSource = 'user' | 'shutdown' | 'timeout' | 'filter';

/** The reason carried by an aborted job signal, so a job can tell cancel, timeout and shutdown apart. */
export class JobAbortError extends Error {
  override readonly name = 'JobAbortError';
  constructor(
    readonly source: AbortSource,
    message: string,
    /** For timeouts: the budget that was exceeded. */
    readonly timeoutMs?: number,
  ) {
    super(message);
  }
}

/**
 * The abort handle of one execution. Cancellation, shutdown and timeout all abort it; the first reason
 * wins. Aborting ends the current attempt at once, even when the job ignores its signal.
 */
export interface AbortHandle {
  /** The job's signal; `signal.reason` is the {@link JobAbortError}. */
  readonly signal: AbortSignal;
  readonly reason: JobAbortError | undefined;
  /** Aborts the execution with `reason`; later calls change nothing. */
  abort(reason: JobAbortError): void;
  /** Calls `listener` once when the handle aborts (at once if it already has). */
  onAbort(listener: (reason: JobAbortError) => void): void;
}

