// The innermost step of every pipeline: parse and validate the data, call the job, validate its result (when the
// job declares a result schema) and turn it into an Outcome.
import { InvalidJobResultError } from '../vocabulary/invalid-job-result-error.js';
import { parseJobData } from './parse-job-data.js';
import { parseJobResult } from './parse-job-result.js';
import { isPermanentError } from '../vocabulary/permanent-job-error.js';
import { JobAbortError } from '../vocabulary/job-abort-error.js';
import { type ExecutionContext, type JobContext, type Services } from '../vocabulary/types.js';
import { type Outcome } from '../vocabulary/outcome.js';
import { cancelled, completed, failed, invalidData, timedOut, unknownJob } from '../vocabulary/outcomes.js';

const NO_SERVICES = Object.freeze({}) as Services;

/** Runs the job of an execution context once; never throws. */
export async function runJob(ctx: ExecutionContext): Promise<Outcome> {
  const definition = ctx.definition;
  if (definition === undefined) return unknownJob(ctx.envelope.jobName);
  const data = parseJobData(definition, ctx.envelope.jobData);
  if (data.isErr()) return invalidData(data.error);
  if (ctx.abort.reason !== undefined) return abortedOutcome(ctx.abort.reason);
  try {
    const returned: unknown = await definition.run(data.value, toJobContext(ctx));
    // A result its schema rejects is permanent: running the job again would return the same shape.
    const result = parseJobResult(definition, returned);
    if (result.isErr()) return failed(new InvalidJobResultError(ctx.envelope.jobName, result.error), { permanent: true });
    return completed(result.value);
  } catch (error) {
    // A job that throws because its signal fired (AbortError from fetch, a check of signal.aborted…) ends
    // as that abort's outcome, not as a failure to retry.
    const aborted = ctx.abort.reason ?? (ctx.signal.aborted ? ctx.signal.reason : undefined);
    if (aborted !== undefined) return abortedOutcome(aborted);
    return failed(error, { permanent: isPermanent(error, ctx) });
  }
}

function isPermanent(error: unknown, ctx: ExecutionContext): boolean {
  if (isPermanentError(error)) return true;
  const retryIf = ctx.definition?.retryIf;
  if (retryIf === undefined) return false;
  try {
    return !retryIf(error, { retryCount: ctx.retryCount });
  } catch (predicateError) {
    ctx.logger.warn(`retryIf of ${ctx.envelope.jobName} threw; treating the error as transient`, predicateError);
    return false;
  }
}

/** Maps an abort reason to an outcome: timeouts and cancellations stay distinct. */
export function abortedOutcome(reason: unknown): Outcome {
  if (reason instanceof JobAbortError) {
    if (reason.source === 'timeout') return timedOut(reason.timeoutMs ?? 0, reason.timeoutMs ?? 0);
    return cancelled(reason.message, reason.source);
  }
  return cancelled(reason instanceof Error ? reason.message : String(reason ?? 'aborted'), 'user');
}

/** The job-facing view of an execution context; `signal` is read lazily so unused signals cost nothing. */
class ExecutionJobContext implements JobContext {
  readonly job: JobContext['job'];
  readonly occurrence: JobContext['occurrence'];
  readonly log: JobContext['log'];
  readonly services: Services;
  readonly #ctx: ExecutionContext;
  constructor(ctx: ExecutionContext) {
    const env = ctx.envelope;
    this.#ctx = ctx;
    this.job = { id: env.jobId, name: env.jobName, data: env.jobData, version: env.version };
    this.occurrence = {
      id: env.occurrenceId,
      correlationId: env.correlationId,
      retryCount: ctx.retryCount,
      maxRetries: ctx.settings.maxRetries,
      redelivered: env.redelivered,
    };
    this.log = ctx.log;
    this.services = (ctx.scope?.cradle as Services | undefined) ?? NO_SERVICES;
  }
  get signal(): AbortSignal {
    return this.#ctx.signal;
  }
}

/** Builds the job-facing context from the execution context. */
export function toJobContext(ctx: ExecutionContext): JobContext {
  return new ExecutionJobContext(ctx);
}
