// The message of anything thrown, for log lines: an Error's message, anything else as text.

/** Returns `error.message` for an Error, `String(error)` otherwise. */
export function errorMessage(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
