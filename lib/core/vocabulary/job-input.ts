// The types of typed dispatch: from job definitions, the names a dispatch may use and the data each must send
// (the data schema's INPUT type: what goes on the wire, before defaults and transforms).
import type { AnyJobDefinition, JobDefinition } from './types.js';

/** The data a dispatch of job `J` must send: its data schema's input type (`unknown` for a job without a schema). */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type JobInput<J> = J extends JobDefinition<any, any, infer TInput, string> ? TInput : never;

/** The names of the jobs in the union `J` (literal when defineJob() was given a literal name, else `string`). */
export type JobName<J> = J extends AnyJobDefinition ? J['name'] : never;

/** The input of the job named `N` among the jobs `J`. */
export type JobInputByName<J, N extends string> = J extends AnyJobDefinition ? (N extends J['name'] ? JobInput<J> : never) : never;

/** A dispatch's arguments after the job: its data (optional when the input accepts `undefined`), then `TOptions`. */
export type DataArgs<TInput, TOptions> = undefined extends TInput ? [data?: TInput, options?: TOptions] : [data: TInput, options?: TOptions];
