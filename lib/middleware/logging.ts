// logging(): start, end, duration and outcome of each execution on the technical logger (consola by
// default); optionally mirrors every user log line there too.
import * as v from 'valibot';
import { mirrorTo } from '../core/create-job-logger.js';
import { jobFields, logWith, type LogFields } from '../core/log-fields.js';
import { parseOptions } from '../core/parse-options.js';
import type { ExecutionContext, LogData, LogLevel, Middleware, RuntimeLogger, TechnicalLogger } from '../core/types.js';
import type { Outcome } from '../core/outcome.js';

/** Options of {@link logging}. */
export const LoggingOptions = v.strictObject({
  /** Defaults to the worker's technical logger. */
  logger: v.optional(v.custom<TechnicalLogger>((x) => typeof x === 'object' && x !== null && 'info' in x, 'a logger')),
  /** Mirror user logs for every job, whatever its `LogUserFriendlyLogsViaLogger` says. */
  mirrorUserLogs: v.optional(v.boolean(), false),
});

/** Creates the logging middleware. */
export function logging(options: v.InferInput<typeof LoggingOptions> = {}): Middleware {
  const opts = parseOptions('logging', LoggingOptions, options);
  return async function logging(ctx, next) {
    const logger = opts.logger ?? ctx.logger;
    const { jobName, occurrenceId } = ctx.envelope;
    const label = `${jobName} ${occurrenceId}`;
    const fields = jobFields(ctx.envelope, ctx.retryCount);
    logWith(logger, 'debug', `Job started: ${label}${ctx.retryCount > 0 ? ` (retry ${ctx.retryCount})` : ''}`, fields);
    const started = performance.now();
    // The executor already mirrors to its own logger for jobs with LogUserFriendlyLogsViaLogger.
    const alreadyMirrored = ctx.settings.logUserFriendlyLogsViaLogger && logger === ctx.logger;
    const derived: ExecutionContext = opts.mirrorUserLogs && !alreadyMirrored ? { ...ctx, log: mirrored(ctx.log, logger, label) } : ctx;
    const outcome = await next(derived);
    const ms = performance.now() - started;
    report(logger, label, outcome, ms, { ...fields, durationMs: Math.round(ms * 10) / 10 });
    return outcome;
  };
}

function report(logger: TechnicalLogger, label: string, outcome: Outcome, ms: number, fields: LogFields): void {
  const took = `in ${ms.toFixed(1)} ms`;
  if (outcome.isOk()) {
    const c = outcome.value;
    return logWith(logger, 'info', c.kind === 'completed' ? `Job completed: ${label} ${took}` : `Job skipped (${c.reason}): ${label}`, fields);
  }
  const f = outcome.error;
  switch (f.kind) {
    case 'failed':
      return logWith(logger, 'error', `Job failed${f.permanent ? ' permanently' : ''}${f.retriesExhausted !== undefined ? ` after ${f.retriesExhausted} retries` : ''}: ${label} ${took}`, fields, f.error);
    case 'timed-out':
      return logWith(logger, 'warn', `Job timed out after ${f.timeoutMs} ms: ${label}`, fields);
    case 'cancelled':
      return logWith(logger, 'warn', `Job cancelled (${f.source}: ${f.reason}): ${label} ${took}`, fields);
    case 'invalid-data':
      return logWith(logger, 'error', `Job data invalid: ${label}: ${f.issues.join('; ')}`, fields);
    case 'unknown-job':
      return logWith(logger, 'error', `No job registered for type ${f.jobName}: ${label}`, fields);
    case 'retry-scheduled':
      return logWith(logger, 'warn', `Job failed, retry ${f.nextRetryCount} scheduled in ${f.delayMs} ms: ${label}`, fields);
    default:
      return f satisfies never;
  }
}

function mirrored(log: RuntimeLogger, logger: TechnicalLogger, label: string): RuntimeLogger {
  const write = (level: LogLevel, message: string, data?: LogData | Error | null, category?: string) => {
    log.write(level, message, data, category);
    mirrorTo(logger, level, `[${label}] ${message}`, data);
  };
  return {
    write,
    debug: (m, d) => write('Debug', m, d),
    info: (m, d) => write('Information', m, d),
    warn: (m, d) => write('Warning', m, d),
    error: (m, d) => write('Error', m, d),
  };
}
