// PermanentJobError: the .NET PermanentJobException. Throwing it (or wrapping it as a cause) skips retries.

/** An error no retry can fix (bad data, failed authorisation, a broken business rule). */
export class PermanentJobError extends Error {
  override readonly name: string = 'PermanentJobError';
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
  }
}

/** Whether the error, or any error in its `cause` chain, is a {@link PermanentJobError}. */
export function isPermanentError(error: unknown): boolean {
  const seen = new Set<unknown>();
  let current: unknown = error;
  // The cause chain is user data: guard against cycles.
  while (current !== null && typeof current === 'object' && !seen.has(current)) {
    if (current instanceof PermanentJobError) return true;
    seen.add(current);
    current = (current as { cause?: unknown }).cause;
  }
  return false;
}
