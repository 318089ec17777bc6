// The error that stands for a job result its schema rejected: a permanent failure, reported without frames.
import { PermanentJobError } from './permanent-job-error.js';

/** A job's returned value that its `result` schema rejected: permanent (no retries), like invalid job data. */
export class InvalidJobResultError extends PermanentJobError {
  override readonly name = 'InvalidJobResultError';
  /** Each failing field as `path: message`. */
  readonly issues: readonly string[];
  constructor(jobName: string, issues: readonly string[]) {
    super(`Invalid job result for ${jobName}: ${issues.join('; ')}`);
    this.issues = issues;
    // Where the runtime noticed the mismatch says nothing useful: the report lists the fields only.
    this.stack = `${this.name}: ${this.message}`;
  }
}
