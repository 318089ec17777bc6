// Structured fields on technical log lines (workerId, jobName, durationMs…), without changing TechnicalLogger:
// a consola instance gets them as a log object (its reporters see them as properties), any other logger
// (console, a test double, pino behind an adapter) gets the same message and arguments as before.
import type { TechnicalLogger } from './types.js';

/** The fields the runtime attaches to its technical lines; reporters decide how to show them. */
export interface LogFields {
  readonly workerId?: string;
  readonly instanceId?: string;
  readonly jobName?: string;
  readonly occurrenceId?: string;
  readonly retryCount?: number;
  readonly durationMs?: number;
}

/** A level of {@link TechnicalLogger}. */
export type TechnicalLevel = 'debug' | 'info' | 'warn' | 'error';

/** What consola offers beyond TechnicalLogger: log objects (`{ message, args, ...fields }`) and child loggers. */
interface LogObjectLogger {
  withDefaults(defaults: LogFields): TechnicalLogger;
  debug(input: object): void;
  info(input: object): void;
  warn(input: object): void;
  error(input: object): void;
}

/** Whether a logger takes consola's log objects (a consola instance, whatever its reporters). */
function takesLogObjects(logger: TechnicalLogger): boolean {
  return typeof (logger as { withDefaults?: unknown }).withDefaults === 'function';
}

/**
 * Writes `message` (and `args`, e.g. an Error) at `level` with `fields`: as a log object to a consola instance,
 * as `logger[level](message, ...args)` to any other logger, exactly as a plain call would.
 */
export function logWith(logger: TechnicalLogger, level: TechnicalLevel, message: string, fields: LogFields, ...args: unknown[]): void {
  if (takesLogObjects(logger)) (logger as unknown as LogObjectLogger)[level]({ ...fields, message, args });
  else logger[level](message, ...args);
}

/** A logger that adds `fields` to every line (consola's `withDefaults`); any other logger is returned as it is. */
export function withLogFields(logger: TechnicalLogger, fields: LogFields): TechnicalLogger {
  return takesLogObjects(logger) ? (logger as unknown as LogObjectLogger).withDefaults(fields) : logger;
}

/** The fields of one execution: job name, occurrence and retry count. */
export function jobFields(envelope: { readonly jobName: string; readonly occurrenceId: string }, retryCount?: number): LogFields {
  return retryCount === undefined ? { jobName: envelope.jobName, occurrenceId: envelope.occurrenceId } : { jobName: envelope.jobName, occurrenceId: envelope.occurrenceId, retryCount };
}
