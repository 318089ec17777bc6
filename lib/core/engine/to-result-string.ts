// A job's returned value as the protocol's Result string.

/** Turns a job's returned value into the protocol's Result string. */
export function toResultString(result: unknown, jobName: string): string {
  if (result === undefined || result === null) return `Job ${jobName} completed successfully`;
  if (typeof result === 'string') return result;
  try {
    return JSON.stringify(result) ?? String(result);
  } catch {
    return String(result);
  }
}
