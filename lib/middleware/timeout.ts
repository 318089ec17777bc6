// timeout(): a per-attempt execution budget. Reports TimedOut at the deadline even if the job ignores its
// signal, and makes sure a late result cannot overwrite that outcome.
import { err } from 'neverthrow';
import * as v from 'valibot';
import { linkSignal } from '../core/link-signal.ts';
import { parseOptions } from '../core/parse-options.ts';
import { seconds } from '../core/to-status-record.ts';
import { JobAbortError, type Middleware, type Outcome } from '../core/types.ts';

/** Options of {@link timeout}: `ms` overrides the job's `ExecutionTimeoutSeconds` (0 disables). */
export const TimeoutOptions = v.strictObject({
  ms: v.optional(v.pipe(v.number(), v.integer(), v.minValue(0))),
});

/** Creates the timeout middleware. */
export function timeout(options: v.InferInput<typeof TimeoutOptions> = {}): Middleware {
  const opts = parseOptions('timeout', TimeoutOptions, options);
  return async function timeout(ctx, next) {
    const ms = opts.ms ?? ctx.settings.timeoutMs;
    if (!(ms > 0)) return next();
    const link = linkSignal(ctx.signal);
    const started = ctx.clock.now();
    let timer: NodeJS.Timeout | undefined;
    let expired = false;
    const deadline = new Promise<Outcome>((resolve) => {
      timer = setTimeout(() => {
        expired = true;
        link.abort(new JobAbortError('timeout', `Job execution exceeded timeout limit of ${seconds(ms)} seconds`, ms));
        resolve(err({ kind: 'timed-out', timeoutMs: ms, elapsedMs: ctx.clock.now() - started }));
      }, ms);
    });
    const attempt = next({ ...ctx, signal: link.signal });
    try {
      const outcome = await Promise.race([attempt, deadline]);
      if (expired) {
        ctx.log.write('Error', `Job execution exceeded timeout limit of ${seconds(ms)} seconds`, null, 'Execution');
        // The attempt may still be running (JS cannot stop a function); its late result is only noted.
        void attempt.then((late) => {
          if (late.isOk() || late.error.kind !== 'timed-out') {
            ctx.logger.warn(`${ctx.envelope.jobName} ${ctx.envelope.occurrenceId} ended ${ctx.clock.now() - started} ms after starting, past its ${ms} ms timeout; its result was discarded`);
          }
        });
      }
      return outcome;
    } finally {
      clearTimeout(timer);
      link.release();
    }
  };
}
