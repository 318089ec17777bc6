// retry(): exponential backoff `base × 2^retryCount`, optional cap and jitter. Permanent errors, timeouts and
// cancellations are never retried. In-process mode re-runs `next`; scheduled mode returns a decision that
// the transport carries out, so a waiting retry holds no concurrency slot.
import * as v from 'valibot';
import { parseOptions } from '../core/util/parse-options.js';
import { failed, retryScheduled } from '../core/vocabulary/outcomes.js';
import { abortedOutcome } from '../core/engine/run-job.js';
import { sleep } from '../core/util/sleep.js';
import type { ExecutionContext, Middleware, RetryPredicate } from '../core/vocabulary/types.js';
import { retryDelay } from '../core/engine/retry-delay.js';
import { errorMessage } from '../core/util/error-message.js';

export { retryDelay };

const NonNegative = v.pipe(v.number(), v.minValue(0));

/** Options of {@link retry}; unset numbers come from the job's settings (`MaxRetries`, `BaseRetryDelaySeconds`). */
export const RetryOptions = v.strictObject({
  mode: v.optional(v.picklist(['in-process', 'scheduled']), 'in-process'),
  maxRetries: v.optional(v.pipe(v.number(), v.integer(), v.minValue(0))),
  baseDelayMs: v.optional(NonNegative),
  /** Upper bound of one delay. */
  maxDelayMs: v.optional(NonNegative),
  /** Fraction (0–1) of each delay that is randomised downwards ("equal jitter" at 0.5, "full" at 1). */
  jitter: v.optional(v.pipe(v.number(), v.minValue(0), v.maxValue(1)), 0),
  /** Worker-wide retryability policy; a job's own `retryIf` is applied as well. */
  retryIf: v.optional(v.custom<(error: unknown, info: { readonly retryCount: number }) => boolean>((x) => typeof x === 'function', 'a function')),
  /** Random source in [0, 1), for deterministic specs. */
  random: v.optional(v.custom<() => number>((x) => typeof x === 'function', 'a function')),
});

// A predicate that throws is a bug in the policy, not a reason to give up: treat the error as transient,
// as a job's own retryIf is treated.
function isRetryable(retryIf: RetryPredicate, error: unknown, ctx: ExecutionContext): boolean {
  try {
    return retryIf(error, { retryCount: ctx.retryCount });
  } catch (predicateError) {
    ctx.logger.warn(`The retry policy's retryIf threw for ${ctx.envelope.jobName}; treating the error as transient`, predicateError);
    return true;
  }
}

/** Creates the retry middleware. */
export function retry(options: v.InferInput<typeof RetryOptions> = {}): Middleware {
  const opts = parseOptions('retry', RetryOptions, options);
  return async function retry(ctx, next) {
    const maxRetries = opts.maxRetries ?? ctx.settings.maxRetries;
    const baseDelayMs = opts.baseDelayMs ?? ctx.settings.baseRetryDelayMs;
    let current = ctx;
    for (;;) {
      const outcome = await next(current);
      if (outcome.isOk()) return outcome;
      const failure = outcome.error;
      if (failure.kind !== 'failed' || failure.permanent) return outcome;
      if (opts.retryIf !== undefined && !isRetryable(opts.retryIf, failure.error, current)) return failed(failure.error, { ...failure, permanent: true });
      if (current.retryCount >= maxRetries) return failed(failure.error, { ...failure, retriesExhausted: maxRetries });
      const delayMs = retryDelay(current.retryCount, baseDelayMs, opts);
      const nextRetryCount = current.retryCount + 1;
      const message = errorMessage(failure.error);
      current.log.write(
        'Warning',
        `Job failed, retry ${nextRetryCount}/${maxRetries} in ${delayMs / 1000}s: ${message}`,
        {
          RetryAttempt: nextRetryCount,
          MaxRetries: maxRetries,
          DelaySeconds: delayMs / 1000,
          NextRetryTime: new Date(ctx.clock.now() + delayMs).toISOString(),
        },
        'Retry',
      );
      if (opts.mode === 'scheduled') return retryScheduled(delayMs, nextRetryCount, failure.error);
      if (!(await sleep(delayMs, current.signal))) return abortedOutcome(current.signal.reason);
      current = { ...current, retryCount: nextRetryCount };
    }
  };
}
