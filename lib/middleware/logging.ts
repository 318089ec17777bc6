// logging(): start, end, duration and outcome of each execution on the technical logger (consola by
// default); optionally mirrors every user log line there too.
import * as v from 'valibot';
import { mirrorTo } from '../core/engine/create-job-logger.js';
import { jobFields, logWith, type LogFields } from '../core/vocabulary/log-fields.js';
import { parseOptions } from '../core/util/parse-options.js';
import type { ExecutionContext, LogData, LogLevel, Middleware, RuntimeLogger, TechnicalLogger } from '../core/vocabulary/types.js';
import type { Outcome } from '../core/vocabulary/outcome.js';
import { toVerdict } from '../core/engine/to-verdict.js';

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
    report(logger, ctx, label, outcome, ms, { ...fields, durationMs: Math.round(ms * 10) / 10 });
    return outcome;
  };
}

/** Writes the execution's end line: its level, text and error are the outcome's verdict. */
function report(logger: TechnicalLogger, ctx: ExecutionContext, label: string, outcome: Outcome, ms: number, fields: LogFields): void {
  const { log } = toVerdict(outcome, ctx.envelope, ctx.settings.maxRetries);
  logWith(logger, log.level, log.text(label, `in ${ms.toFixed(1)} ms`), fields, ...log.args);
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
