// cancellation(): links external cancels (dashboard, memory transport, tests) and worker shutdown to the
// execution's abort handle. The attempt ends Cancelled at once, even if the job ignores its signal.
import * as v from 'valibot';
import { parseOptions } from '../core/util/parse-options.js';
import { cancelled } from '../core/vocabulary/outcomes.js';
import { toVerdict } from '../core/engine/to-verdict.js';
import { JobAbortError } from '../core/vocabulary/job-abort-error.js';
import { type CancellationRegistry } from '../core/vocabulary/ports.js';
import { type AbortHandle, type Middleware } from '../core/vocabulary/types.js';

/** Options of {@link cancellation}. */
export const CancellationOptions = v.strictObject({
  /** Aborted when the worker stops waiting for running jobs during shutdown. */
  shutdownSignal: v.optional(v.instance(AbortSignal)),
});

const SHUTDOWN = 'The worker is shutting down';

/** Creates the cancellation middleware. */
export function cancellation(options: v.InferInput<typeof CancellationOptions> = {}): Middleware {
  const { shutdownSignal } = parseOptions('cancellation', CancellationOptions, options);
  return registryCancellation(undefined, shutdownSignal);
}

/**
 * The cancellation middleware on a registry, where cancels by occurrence id arrive: the runtime's wiring (the
 * workers own their registry; a user's pipeline gets cancel by id from them, not from an option).
 */
export function registryCancellation(registry: CancellationRegistry | undefined, shutdownSignal: AbortSignal | undefined): Middleware {
  // One listener on the shutdown signal for all executions, not one per job.
  const active = new Set<AbortHandle>();
  shutdownSignal?.addEventListener(
    'abort',
    () => {
      const reason = new JobAbortError('shutdown', SHUTDOWN);
      for (const handle of active) handle.abort(reason);
    },
    { once: true },
  );
  return async function cancellation(ctx, next) {
    const occurrenceId = ctx.envelope.occurrenceId;
    if (registry !== undefined) {
      // A cancel that arrived while this occurrence waited for a scheduled retry stops the retry here.
      const reason = registry.isCancelled(occurrenceId);
      registry.forget(occurrenceId);
      if (reason !== undefined) return cancelled(reason, 'user');
      registry.register(occurrenceId, ctx.abort);
    }
    if (shutdownSignal?.aborted) ctx.abort.abort(new JobAbortError('shutdown', SHUTDOWN));
    active.add(ctx.abort);
    try {
      const outcome = await next();
      const { notice, fate } = toVerdict(outcome, ctx.envelope, ctx.settings.maxRetries);
      if (notice !== null) ctx.log.write('Warning', notice, null, 'Execution');
      // Marked before this execution unregisters (synchronously, in the same turn), so no cancel can fall
      // between "running here" and "waiting for its retry".
      if (fate.kind === 'retry') registry?.awaitRetry(occurrenceId, ctx.clock.now() + fate.delayMs);
      return outcome;
    } finally {
      active.delete(ctx.abort);
      registry?.unregister(occurrenceId, ctx.abort);
    }
  };
}
