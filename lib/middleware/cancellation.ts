// cancellation(): links external cancels (dashboard, memory transport, tests) and worker shutdown to the
// execution's signal, and ends the occurrence Cancelled at once, even if the job ignores the signal.
import { err } from 'neverthrow';
import * as v from 'valibot';
import { linkSignal } from '../core/link-signal.ts';
import { parseOptions } from '../core/parse-options.ts';
import { abortedOutcome } from '../core/run-job.ts';
import { JobAbortError, type CancellationRegistry, type Middleware, type Outcome } from '../core/types.ts';

/** Options of {@link cancellation}. */
export const CancellationOptions = v.strictObject({
  /** Where cancels by occurrence id arrive. */
  registry: v.optional(v.custom<CancellationRegistry>((x) => typeof x === 'object' && x !== null && 'register' in x, 'a CancellationRegistry')),
  /** Aborted when the worker stops waiting for running jobs during shutdown. */
  shutdownSignal: v.optional(v.instance(AbortSignal)),
});

/** Creates the cancellation middleware. */
export function cancellation(options: v.InferInput<typeof CancellationOptions> = {}): Middleware {
  const { registry, shutdownSignal } = parseOptions('cancellation', CancellationOptions, options);
  return async function cancellation(ctx, next) {
    const occurrenceId = ctx.envelope.occurrenceId;
    if (registry !== undefined) {
      // A cancel that arrived while this occurrence waited for a scheduled retry stops the retry here.
      const reason = registry.isCancelled(occurrenceId);
      registry.forget(occurrenceId);
      if (reason !== undefined) return err({ kind: 'cancelled', reason, source: 'user' });
    }
    const link = linkSignal(ctx.signal);
    let settle: ((outcome: Outcome) => void) | undefined;
    const aborted = new Promise<Outcome>((resolve) => (settle = resolve));
    let done = false;
    const abort = (error: JobAbortError) => {
      if (done) return;
      done = true;
      link.abort(error);
      ctx.log.write('Warning', `Job execution was cancelled: ${error.message}`, null, 'Execution');
      settle?.(abortedOutcome(error));
    };
    const unregister = registry?.register(occurrenceId, abort);
    const onShutdown = () => abort(new JobAbortError('shutdown', 'The worker is shutting down'));
    if (shutdownSignal?.aborted) onShutdown();
    else shutdownSignal?.addEventListener('abort', onShutdown, { once: true });
    try {
      return await Promise.race([next({ ...ctx, signal: link.signal }), aborted]);
    } finally {
      done = true;
      unregister?.();
      shutdownSignal?.removeEventListener('abort', onShutdown);
      link.release();
    }
  };
}
