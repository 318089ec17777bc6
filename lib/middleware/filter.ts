// filter(): the .NET IJobFilter as middleware. `before` runs ahead of the job and may skip it with a reason;
// `after` observes the outcome and cannot change it (an observer's bug must not change a job's result).
import * as v from 'valibot';
import { parseOptions } from '../core/util/parse-options.js';
import { failed, skipped } from '../core/vocabulary/outcomes.js';
import type { ExecutionContext, Middleware } from '../core/vocabulary/types.js';
import type { Outcome } from '../core/vocabulary/outcome.js';

/** What a `before` hook may return: nothing to go on, or `{ skip: reason }` to skip the job. */
export type FilterDecision = void | undefined | { readonly skip: string };

/** The hooks of a filter (the .NET `OnExecutingAsync` / `OnExecutedAsync`). */
export interface JobFilter {
  /** Runs before the job; return `{ skip: reason }` to skip it, nothing to let it run. */
  before?(ctx: ExecutionContext): FilterDecision | Promise<FilterDecision>;
  /** Runs after the job with its outcome; what it throws is logged and changes nothing. */
  after?(ctx: ExecutionContext, outcome: Outcome): void | Promise<void>;
}

const Hook = v.optional(v.custom<(...args: never[]) => unknown>((x) => typeof x === 'function', 'a function'));

/** Options of {@link filter}: the hooks, and optionally the job names it applies to. */
const FilterOptions = v.strictObject({
  /** Runs before the job; may return `{ skip: reason }`. */
  before: Hook,
  /** Runs after the job with its outcome. */
  after: Hook,
  jobs: v.optional(v.array(v.string())),
});

/** Creates a filter middleware from before/after hooks. */
export function filter(options: JobFilter & { readonly jobs?: readonly string[] }): Middleware {
  parseOptions('filter', FilterOptions, options);
  const only = options.jobs === undefined ? undefined : new Set(options.jobs.map((j) => j.toLowerCase()));
  const { before, after } = options;
  return async function filter(ctx, next) {
    if (only !== undefined && !only.has(ctx.envelope.jobName.toLowerCase())) return next();
    if (before !== undefined) {
      try {
        const decision = await before(ctx);
        if (decision !== undefined && decision !== null && typeof decision.skip === 'string') {
          ctx.log.write('Information', `Job skipped by a filter: ${decision.skip}`, null, 'Execution');
          return skipped(decision.skip);
        }
      } catch (error) {
        return failed(error);
      }
    }
    const outcome = await next();
    if (after !== undefined) {
      try {
        await after(ctx, outcome);
      } catch (error) {
        ctx.logger.error(`A filter's after hook threw for ${ctx.envelope.jobName} ${ctx.envelope.occurrenceId}`, error);
      }
    }
    return outcome;
  };
}
