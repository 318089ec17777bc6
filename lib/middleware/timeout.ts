// timeout(): a per-attempt execution budget. At the deadline it aborts the execution, which ends the attempt
// TimedOut at once even if the job ignores its signal; a late result cannot overwrite that outcome.
import * as v from 'valibot';
import { parseOptions } from '../core/util/parse-options.js';
import { timedOut } from '../core/vocabulary/outcomes.js';
import { seconds } from '../core/util/seconds.js';
import { JobAbortError } from '../core/vocabulary/job-abort-error.js';
import { type ExecutionContext, type Middleware } from '../core/vocabulary/types.js';

/** Options of {@link timeout}: `ms` overrides the job's `ExecutionTimeoutSeconds` (0 disables). */
export const TimeoutOptions = v.strictObject({
  ms: v.optional(v.pipe(v.number(), v.integer(), v.minValue(0))),
});

function expire(ctx: ExecutionContext, ms: number): void {
  const message = `Job execution exceeded timeout limit of ${seconds(ms)} seconds`;
  ctx.log.write('Error', message, null, 'Execution');
  ctx.abort.abort(new JobAbortError('timeout', message, ms));
}

/** Creates the timeout middleware. */
export function timeout(options: v.InferInput<typeof TimeoutOptions> = {}): Middleware {
  const opts = parseOptions('timeout', TimeoutOptions, options);
  return async function timeout(ctx, next) {
    const ms = opts.ms ?? ctx.settings.timeoutMs;
    if (!(ms > 0)) return next();
    const started = ctx.clock.now();
    // A fresh timer per attempt: with retry outside, every attempt gets its own budget.
    const timer = setTimeout(expire, ms, ctx, ms);
    try {
      const outcome = await next();
      if (outcome.isErr() && outcome.error.kind === 'timed-out' && ctx.abort.reason?.timeoutMs === ms) {
        return timedOut(ms, ctx.clock.now() - started);
      }
      return outcome;
    } finally {
      clearTimeout(timer);
    }
  };
}
