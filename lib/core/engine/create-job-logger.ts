// The user-friendly logger: each call becomes a LogRecord for the sink (and, optionally, a technical line).
import { describe, errorType } from './format-exception.js';
import type { JobEnvelope, LogData, LogLevel, RuntimeLogger, TechnicalLogger } from '../vocabulary/types.js';
import type { LogRecord } from '../vocabulary/ports.js';

/** The .NET SDK's log categories (protocol §2.3). */
export const LogCategory = {
  UserCode: 'UserCode',
  UserDefined: 'UserDefined',
  Redelivery: 'Redelivery',
  Retry: 'Retry',
  Execution: 'Execution',
} as const;

/** Creates the logger for one execution; `emit` receives every record in call order. */
export function createJobLogger(
  envelope: Pick<JobEnvelope, 'occurrenceId' | 'correlationId' | 'jobName'>,
  emit: (record: LogRecord) => void,
  options: { mirror?: TechnicalLogger | undefined; now?: () => number } = {},
): RuntimeLogger {
  return new JobLog(envelope, emit, options.mirror, options.now ?? Date.now);
}

// A class, not closures: one logger is made per execution, and methods on the prototype cost nothing then.
class JobLog implements RuntimeLogger {
  constructor(
    private readonly envelope: Pick<JobEnvelope, 'occurrenceId' | 'correlationId' | 'jobName'>,
    private readonly emit: (record: LogRecord) => void,
    private readonly mirror: TechnicalLogger | undefined,
    private readonly now: () => number,
  ) {}

  write(level: LogLevel, message: string, data?: LogData | Error | null, category?: string): void {
    let recordData: LogData | null = null;
    let exceptionType: string | null = null;
    let cat = category ?? LogCategory.UserCode;
    if (data instanceof Error) {
      // Captured as the .NET SDK's LogError does: type, stack and inner exception.
      const d = describe(data);
      exceptionType = errorType(data);
      recordData = {
        ExceptionType: exceptionType,
        StackTrace: d.stack,
        InnerException: data.cause instanceof Error ? data.cause.message : null,
      };
      if (category === undefined) cat = LogCategory.UserDefined;
    } else if (data !== undefined && data !== null) {
      recordData = data;
    }
    const env = this.envelope;
    this.emit({
      type: 'log',
      occurrenceId: env.occurrenceId,
      correlationId: env.correlationId,
      jobName: env.jobName,
      timestamp: this.now(),
      level,
      message: String(message),
      data: recordData,
      category: cat,
      exceptionType,
    });
    if (this.mirror) mirrorTo(this.mirror, level, `[${env.jobName} ${env.occurrenceId}] ${message}`, recordData);
  }
  debug(message: string, data?: LogData | Error): void {
    this.write('Debug', message, data);
  }
  info(message: string, data?: LogData | Error): void {
    this.write('Information', message, data);
  }
  warn(message: string, data?: LogData | Error): void {
    this.write('Warning', message, data);
  }
  error(message: string, data?: LogData | Error): void {
    this.write('Error', message, data);
  }
}

/** Writes one user log line to a technical logger at the matching level. */
export function mirrorTo(logger: TechnicalLogger, level: LogLevel, text: string, data: LogData | Error | null | undefined): void {
  const args: unknown[] = data ? [data] : [];
  switch (level) {
    case 'Debug':
      return logger.debug(text, ...args);
    case 'Information':
      return logger.info(text, ...args);
    case 'Warning':
      return logger.warn(text, ...args);
    case 'Error':
      return logger.error(text, ...args);
    default:
      return level satisfies never;
  }
}
