// PermanentJobError: the .NET PermanentJobException. Throwing it (or wrapping it as a cause) skips retries.

// A registry symbol, not `instanceof`: a job module may hold a second copy of this package (tsx compiles the ES
// packages that a CommonJS TypeScript job requires into a copy of their own), whose class is another object.
const PERMANENT = Symbol.for('milvaion-worker.PermanentJobError');

/** An error no retry can fix (bad data, failed authorisation, a broken business rule). */
export class PermanentJobError extends Error {
  override readonly name: string = 'PermanentJobError';
  /** Marks the error as permanent for every copy of this package in the process. */
  readonly [PERMANENT] = true;
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
  }
}

/** Whether the error, or any error in its `cause` chain, is a {@link PermanentJobError} (of any copy of this package). */
export function isPermanentError(error: unknown): boolean {
  const seen = new Set<unknown>();
  let current: unknown = error;
  // The cause chain is user data: guard against cycles.
  while (current !== null && typeof current === 'object' && !seen.has(current)) {
    if ((current as { [PERMANENT]?: unknown })[PERMANENT] === true) return true;
    seen.add(current);
    current = (current as { cause?: unknown }).cause;
  }
  return false;
}
