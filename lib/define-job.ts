// defineJob(): a job is a plain (async or sync) function with a name, optional data and result schemas and defaults.
import type { GenericSchema, InferInput, InferOutput } from 'valibot';
import type { JobContext, JobDefaults, JobDefinition, RateLimit } from './core/vocabulary/types.js';
import { rateLimitProblems } from './core/engine/rate-limit-problems.js';

/** The data type `run` receives: the data schema's output, or `unknown` without one. */
export type DataOf<TSchema> = TSchema extends GenericSchema ? InferOutput<TSchema> : unknown;
/** What a dispatch of the job must send: the data schema's input, or `unknown` without one. */
export type InputOf<TSchema> = TSchema extends GenericSchema ? InferInput<TSchema> : unknown;
/** What `run` must return: the result schema's input, or whatever it returns without one. */
export type ReturnOf<TResultSchema, TResult> = TResultSchema extends GenericSchema ? InferInput<TResultSchema> : TResult;

/** What defineJob() takes: the scheduler's job name, optional valibot schemas, defaults and the function. */
export interface DefineJobOptions<
  TSchema extends GenericSchema | undefined,
  TResult,
  TResultSchema extends GenericSchema | undefined = undefined,
  TName extends string = string,
> extends Omit<JobDefaults, 'rateLimit'> {
  /**
   * How often the job may start: `{ count, periodSeconds }`, shared by every process of the WorkerId with
   * `scope: 'shared'`, per value of `key` (a dot path into the data, or a function of it) when given. A job over
   * its limit waits for its turn; `JobConsumers:<Job>:RateLimit` replaces it.
   */
  readonly rateLimit?: RateLimit<DataOf<TSchema>>;
  /** The name the scheduler uses (`jobNameInWorker`), e.g. `SendEmailJob`; kept as a literal type for typed dispatch. */
  readonly name: TName;
  /** A valibot schema for the job's data; the function receives its typed output. */
  readonly data?: TSchema;
  /**
   * A valibot schema for the job's result: `run` must return its input type. The returned value is validated
   * before it is sent (a mismatch is a permanent failure) and the schema's output is the result; its JSON
   * Schema goes to the registration's `JobResultDefinitions`, for workflows.
   */
  readonly result?: TResultSchema;
  /** Decides from a thrown error whether another attempt may help: return false to make it permanent (no more retries). */
  readonly retryIf?: (error: unknown, info: { readonly retryCount: number }) => boolean;
  /** The job itself. Return a JSON-serialisable result, or nothing. Sync functions work too. */
  readonly run: (
    data: DataOf<TSchema>,
    ctx: JobContext,
  ) => ReturnOf<TResultSchema, TResult> | Promise<ReturnOf<TResultSchema, TResult>>;
}

const NAME = /^[A-Za-z_][A-Za-z0-9_.-]*$/;
const NUMERIC_DEFAULTS = ['maxParallelJobs', 'maxParallelJobsGlobal', 'executionTimeoutSeconds', 'maxRetries', 'baseRetryDelaySeconds'];
const OTHER_DEFAULTS = ['consumerId', 'routingPattern', 'logUserFriendlyLogsViaLogger', 'rateLimit'];

/** Defines a job; export the result from a module so discovery (or manual registration) can find it. */
export function defineJob<
  TSchema extends GenericSchema | undefined = undefined,
  TResult = unknown,
  TResultSchema extends GenericSchema | undefined = undefined,
  const TName extends string = string,
>(options: DefineJobOptions<TSchema, TResult, TResultSchema, TName>): JobDefinition<DataOf<TSchema>, ReturnOf<TResultSchema, TResult>, InputOf<TSchema>, TName> {
  if (typeof options.name !== 'string' || !NAME.test(options.name)) {
    throw new TypeError(`defineJob: name must be an identifier such as "SendEmailJob", got ${JSON.stringify(options.name)}`);
  }
  if (typeof options.run !== 'function') throw new TypeError(`defineJob(${options.name}): run must be a function`);
  const { name, data, result, retryIf, run, ...defaults } = options;
  const problems: string[] = [];
  if (result !== undefined && !isSyncSchema(result)) problems.push('result must be a synchronous valibot schema');
  for (const [key, value] of Object.entries(defaults)) {
    if (NUMERIC_DEFAULTS.includes(key)) {
      if (typeof value !== 'number' || !Number.isFinite(value) || value < 0) {
        problems.push(`${key} must be a non-negative number, got ${JSON.stringify(value)}`);
      }
    } else if (key === 'rateLimit') {
      problems.push(...rateLimitProblems(value).map((problem) => `rateLimit: ${problem}`));
    } else if (!OTHER_DEFAULTS.includes(key)) {
      problems.push(`unknown option "${key}"`);
    }
  }
  if (problems.length > 0) throw new TypeError(`defineJob(${name}): ${problems.join('; ')}`);
  return Object.freeze({
    kind: 'milvaion-job' as const,
    name,
    schema: data as GenericSchema<unknown, never> | undefined,
    result: result as GenericSchema<never, unknown> | undefined,
    defaults: Object.freeze(defaults),
    retryIf,
    run: run as JobDefinition['run'],
  }) as JobDefinition<DataOf<TSchema>, ReturnOf<TResultSchema, TResult>, InputOf<TSchema>, TName>;
}

/** Whether a value is a synchronous valibot schema (safeParse cannot run an async one). */
function isSyncSchema(value: unknown): boolean {
  const schema = value as { kind?: unknown; async?: unknown } | null;
  return typeof schema === 'object' && schema !== null && schema.kind === 'schema' && schema.async === false;
}

/** Whether a value (e.g. a module export) is a job made by defineJob(). */
export function isJobDefinition(value: unknown): value is JobDefinition {
  return typeof value === 'object' && value !== null && (value as { kind?: unknown }).kind === 'milvaion-job';
}
