// metrics(): counts each execution's outcome, times it and tracks how many run, into a recorder (the port
// that createMetrics() implements). It never changes an outcome and allocates no strings per job.
import * as v from 'valibot';
import { parseOptions } from '../core/util/parse-options.js';
import type { Outcome } from '../core/vocabulary/outcome.js';
import { toVerdict } from '../core/engine/to-verdict.js';
import type { OutcomeLabel } from '../core/engine/verdict.js';
import type { Middleware } from '../core/vocabulary/types.js';

/** The `job` label of executions whose job name matches no registered job (bounded: message names are not). */
export const UNKNOWN_JOB_LABEL = '(unknown)';

/** Where metrics() records: a port, so middleware stays free of any metrics library or I/O. */
export interface JobMetricsRecorder {
  /** An execution entered the pipeline at this layer. */
  jobStarted(): void;
  /** It left with `outcome` after `seconds`; `job` is a registered job name or `(unknown)` (`UNKNOWN_JOB_LABEL`). */
  jobFinished(job: string, outcome: OutcomeLabel, seconds: number): void;
  /** It left by throwing (a middleware bug): only the running count goes down. */
  jobAborted(): void;
}

/** Options of {@link metrics}. */
export const MetricsOptions = v.strictObject({
  /** Usually `createMetrics()`; any {@link JobMetricsRecorder} works. */
  registry: v.custom<JobMetricsRecorder>(
    (x) => typeof x === 'object' && x !== null && ['jobStarted', 'jobFinished', 'jobAborted'].every((m) => typeof (x as Record<string, unknown>)[m] === 'function'),
    'a JobMetricsRecorder such as createMetrics()',
  ),
});

/**
 * Creates the metrics middleware. Place it outermost (next to logging) to see one outcome per delivery,
 * in-process retries included; the duration is measured with the context's clock.
 */
export function metrics(options: v.InferInput<typeof MetricsOptions>): Middleware {
  const { registry } = parseOptions('metrics', MetricsOptions, options);
  return async function metrics(ctx, next) {
    const started = ctx.clock.now();
    registry.jobStarted();
    let outcome: Outcome;
    try {
      outcome = await next();
    } catch (error) {
      registry.jobAborted();
      throw error;
    }
    registry.jobFinished(ctx.definition?.name ?? UNKNOWN_JOB_LABEL, toVerdict(outcome, ctx.envelope, ctx.settings.maxRetries).label, (ctx.clock.now() - started) / 1000);
    return outcome;
  };
}
