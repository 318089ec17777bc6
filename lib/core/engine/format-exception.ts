// Formats an error the way the .NET SDK does (protocol §2.6), so the dashboard shows familiar text.

const MAX_DEPTH = 10;

/** Formats an error as `Type: …\nMessage: …\nStackTrace: …\n`, inner causes appended recursively. */
export function formatException(error: unknown): string {
  return formatOne(error, 0, new Set());
}

function formatOne(error: unknown, depth: number, seen: Set<unknown>): string {
  const { type, message, stack } = describe(error);
  let text = `Type: ${type}\nMessage: ${message}\nStackTrace: ${stack}\n`;
  const cause = error instanceof Error ? error.cause : undefined;
  if (cause !== undefined && depth < MAX_DEPTH && !seen.has(cause)) {
    seen.add(error);
    text += `\nInner Exception:\n${formatOne(cause, depth + 1, seen)}`;
  }
  return text;
}

/** The error's type name, message and stack frames (without the leading message lines V8 adds). */
export function describe(error: unknown): { type: string; message: string; stack: string } {
  if (error instanceof Error) {
    const frames = (error.stack ?? '')
      .split('\n')
      .filter((line) => /^\s+at /.test(line))
      .map((line) => line.trimEnd())
      .join('\n');
    return { type: errorType(error), message: error.message, stack: frames };
  }
  return { type: typeof error, message: safeString(error), stack: '' };
}

/** The short type name of an error (`TypeError`, `PermanentJobError`, a custom class name). */
export function errorType(error: unknown): string {
  if (error instanceof Error) {
    const ctorName = (error.constructor as { name?: unknown } | undefined)?.name;
    return error.name && error.name !== 'Error' ? error.name : typeof ctorName === 'string' ? ctorName : 'Error';
  }
  return typeof error;
}

function safeString(value: unknown): string {
  try {
    return typeof value === 'string' ? value : (JSON.stringify(value) ?? String(value));
  } catch {
    return String(value);
  }
}
