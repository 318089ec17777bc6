// The error that stands for job data the schema rejected: a permanent failure, reported without frames.

/** An error that stands for job data the schema rejected (a permanent failure). */
export class InvalidJobDataError extends Error {
  override readonly name = 'InvalidJobDataError';
}

/** Builds the error for a job's schema issues, with no stack frames (where the runtime noticed it is not useful). */
export function toInvalidJobDataError(jobName: string, issues: readonly string[]): InvalidJobDataError {
  const error = new InvalidJobDataError(`Invalid job data for ${jobName}: ${issues.join('; ')}`);
  error.stack = `${error.name}: ${error.message}`;
  return error;
}
