// Loggers for specs: a technical logger that keeps every call for assertions, one that drops everything,
// and a runtime (job-facing) logger that keeps its lines in memory.
import type { LogData, LogLevel } from '../../lib/index.ts';
import type { RuntimeLogger, TechnicalLogger } from '../../lib/core/vocabulary/types.ts';

/** One call made to a {@link CapturingLogger}. */
interface LoggedLine {
  readonly level: 'debug' | 'info' | 'warn' | 'error';
  readonly message: string;
  readonly args: readonly unknown[];
}

/** A technical logger that keeps every call, in order. */
export interface CapturingLogger extends TechnicalLogger {
  readonly lines: LoggedLine[];
  /** The messages logged, optionally only those of one level. */
  messages(level?: LoggedLine['level']): string[];
  /** Every line as one text, `level message args…` (an Error by its message, anything else as JSON). */
  texts(): string[];
}

/** One line as `level message args…`, for substring checks that cover the arguments too. */
function toText(line: LoggedLine): string {
  const args = line.args.map((a) => (a instanceof Error ? a.message : JSON.stringify(a)));
  return [line.level, line.message, ...args].join(' ');
}

/** Creates a technical logger that records its calls instead of printing them. */
export function captureLogger(): CapturingLogger {
  const lines: LoggedLine[] = [];
  const at = (level: LoggedLine['level']) => (message: string, ...args: unknown[]) => {
    lines.push({ level, message, args });
  };
  return {
    lines,
    messages: (level) => lines.filter((l) => level === undefined || l.level === level).map((l) => l.message),
    texts: () => lines.map(toText),
    debug: at('debug'),
    info: at('info'),
    warn: at('warn'),
    error: at('error'),
  };
}

/** A technical logger that drops every line. */
export const silentLogger: TechnicalLogger = {
  debug: () => undefined,
  info: () => undefined,
  warn: () => undefined,
  error: () => undefined,
};

/** One line written to a {@link CapturingRuntimeLog}. */
interface WrittenLine {
  readonly level: LogLevel;
  readonly message: string;
  readonly data: LogData | Error | null | undefined;
  readonly category: string | undefined;
}

/** A user-facing runtime logger that keeps every line in memory. */
export interface CapturingRuntimeLog extends RuntimeLogger {
  readonly lines: WrittenLine[];
}

/** Creates an in-memory runtime logger; the level methods go through `write` without a category. */
export function captureRuntimeLog(): CapturingRuntimeLog {
  const lines: WrittenLine[] = [];
  const write = (level: LogLevel, message: string, data?: LogData | Error | null, category?: string) => {
    lines.push({ level, message, data, category });
  };
  return {
    lines,
    write,
    debug: (m, d) => write('Debug', m, d),
    info: (m, d) => write('Information', m, d),
    warn: (m, d) => write('Warning', m, d),
    error: (m, d) => write('Error', m, d),
  };
}
