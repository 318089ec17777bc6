// The abort handle of one execution: one per occurrence run, shared by cancellation, timeout and the job.
// The AbortController behind `signal` is created only if something reads the signal, which keeps the
// per-job cost of the pipeline low for jobs that never look at it.
import type { JobAbortError } from '../vocabulary/job-abort-error.js';
import type { AbortHandle } from '../vocabulary/types.js';

class LazyAbortHandle implements AbortHandle {
  #controller: AbortController | undefined;
  #reason: JobAbortError | undefined;
  #listeners: ((reason: JobAbortError) => void)[] | undefined;

  get signal(): AbortSignal {
    if (this.#controller === undefined) {
      this.#controller = new AbortController();
      if (this.#reason !== undefined) this.#controller.abort(this.#reason);
    }
    return this.#controller.signal;
  }

  get reason(): JobAbortError | undefined {
    return this.#reason;
  }

  abort(reason: JobAbortError): void {
    if (this.#reason !== undefined) return; // the first reason wins: a timeout is not turned into a cancel
    this.#reason = reason;
    this.#controller?.abort(reason);
    const listeners = this.#listeners;
    this.#listeners = undefined;
    if (listeners !== undefined) for (const listener of listeners) listener(reason);
  }

  onAbort(listener: (reason: JobAbortError) => void): void {
    if (this.#reason !== undefined) listener(this.#reason);
    else (this.#listeners ??= []).push(listener);
  }
}

/** Creates the abort handle of one execution. */
export function createAbortHandle(): AbortHandle {
  return new LazyAbortHandle();
}
