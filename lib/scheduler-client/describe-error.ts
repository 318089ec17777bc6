// How the scheduler client names an error in its own messages: the error's name and message, so a test's
// failure says which kind of broker or consumer error it was.

/** Describes anything thrown: `Name: message` for an Error, else its text. */
export function describeError(error: unknown): string {
  return error instanceof Error ? `${error.name}: ${error.message}` : String(error);
}
