// Why a job's signal was aborted (cancel, timeout, shutdown, filter). The abort handle is ExecutionContext['abort'].

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
