// defineJob(): a job is a plain (async or sync) function with a name, an optional data schema and defaults.
import type { GenericSchema, InferOutput } from 'valibot';
import type { JobContext, JobDefaults, JobDefinition, RetryPredicate } from './core/types.js';

/** What defineJob() takes: the scheduler's job name, an optional valibot schema, defaults and the function. */
export interface DefineJobOptions<TSchema extends GenericSchema | undefined, TResult> extends JobDefaults {
  /** The name the scheduler uses (`jobNameInWorker`), e.g. `SendEmailJob`. */
  readonly name: string;
  /** A valibot schema for the job's data; the function receives its typed output. */
  readonly data?: TSchema;
  /** Return false to make an error permanent (no more retries). */
  readonly retryIf?: RetryPredicate;
  /** The job itself. Return a JSON-serialisable result, or nothing. Sync functions work too. */
  readonly run: (
    data: TSchema extends GenericSchema ? InferOutput<TSchema> : unknown,
    ctx: JobContext,
  ) => TResult | Promise<TResult>;
}

const NAME = /^[A-Za-z_][A-Za-z0-9_.-]*$/;
const NUMERIC_DEFAULTS = ['maxParallelJobs', 'executionTimeoutSeconds', 'maxRetries', 'baseRetryDelaySeconds'];
const OTHER_DEFAULTS = ['consumerId', 'routingPattern', 'logUserFriendlyLogsViaLogger'];

/** Defines a job; export the result from a module so discovery (or manual registration) can find it. */
export function defineJob<TSchema extends GenericSchema | undefined = undefined, TResult = unknown>(
  options: DefineJobOptions<TSchema, TResult>,
): JobDefinition<TSchema extends GenericSchema ? InferOutput<TSchema> : unknown, TResult> {
  if (typeof options.name !== 'string' || !NAME.test(options.name)) {
    throw new TypeError(`defineJob: name must be an identifier such as "SendEmailJob", got ${JSON.stringify(options.name)}`);
  }
  if (typeof options.run !== 'function') throw new TypeError(`defineJob(${options.name}): run must be a function`);
  const { name, data, retryIf, run, ...defaults } = options;
  const problems: string[] = [];
  for (const [key, value] of Object.entries(defaults)) {
    if (NUMERIC_DEFAULTS.includes(key)) {
      if (typeof value !== 'number' || !Number.isFinite(value) || value < 0) {
        problems.push(`${key} must be a non-negative number, got ${JSON.stringify(value)}`);
      }
    } else if (!OTHER_DEFAULTS.includes(key)) {
      problems.push(`unknown option "${key}"`);
    }
  }
  if (problems.length > 0) throw new TypeError(`defineJob(${name}): ${problems.join('; ')}`);
  return Object.freeze({
    kind: 'milvaion-job' as const,
    name,
    schema: data as GenericSchema<unknown, never> | undefined,
    defaults: Object.freeze(defaults),
    retryIf,
    run: run as JobDefinition['run'],
  }) as JobDefinition<TSchema extends GenericSchema ? InferOutput<TSchema> : unknown, TResult>;
}

/** Whether a value (e.g. a module export) is a job made by defineJob(). */
export function isJobDefinition(value: unknown): value is JobDefinition {
  return typeof value === 'object' && value !== null && (value as { kind?: unknown }).kind === 'milvaion-job';
}
