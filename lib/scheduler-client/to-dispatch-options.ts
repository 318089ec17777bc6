// The scheduler client's dispatch, typed: by job definition (the name comes from it, `data` is checked against its
// schema's input type) or by name, checked against the jobs the client was given. Both become DispatchOptions.
import type { DataArgs, JobInput } from '../core/vocabulary/job-input.js';
import type { AnyJobDefinition } from '../core/vocabulary/types.js';
import { isJobDefinition } from '../define-job.js';
import type { DispatchOptions } from './to-dispatch-message.js';

/** What a dispatch by definition takes besides its data: DispatchOptions without the name and data; `workerId` defaults to the client's. */
export type DefinitionDispatchOptions = Omit<DispatchOptions, 'jobName' | 'data' | 'workerId'> & { readonly workerId?: string };

/**
 * A dispatch by name among the jobs `J`: `jobName` must be one of their names and `data` that job's input (any
 * name and data when the jobs are not typed); `workerId` defaults to the client's.
 */
export type JobDispatch<J> = J extends AnyJobDefinition
  ? Omit<DispatchOptions, 'jobName' | 'data' | 'workerId'> & { readonly jobName: J['name']; readonly data?: JobInput<J>; readonly workerId?: string }
  : never;

/** The arguments of a dispatch: a {@link JobDispatch}, or a definition followed by its data and options. */
export type DispatchArgs = [job: JobDispatch<AnyJobDefinition>] | [job: AnyJobDefinition, ...rest: DataArgs<unknown, DefinitionDispatchOptions>];

/** Turns either form of dispatch into DispatchOptions; throws when neither the dispatch nor the client names a WorkerId. */
export function toDispatchOptions(args: DispatchArgs, defaultWorkerId: string | undefined): DispatchOptions {
  const [job, data, options] = args;
  const named = isJobDefinition(job) ? { ...options, jobName: job.name, ...(data === undefined ? {} : { data }) } : job;
  const workerId = named.workerId ?? defaultWorkerId;
  if (workerId === undefined || workerId === '') {
    throw new Error(`dispatch of ${named.jobName}: no WorkerId to route it to; give createSchedulerClient({ workerId }) or the dispatch's workerId`);
  }
  return { ...named, workerId };
}
