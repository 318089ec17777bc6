// createLogger(): the technical logger (consola) with throttling off, so repeated lines are never merged, and one
// of two reporters: json (one object per line, for collectors) or text (timestamped lines, for a terminal).
import { createConsola, type ConsolaInstance, type LogLevel as ConsolaLevel } from 'consola/core';
import { createJsonReporter } from './logging/json-reporter.js';
import { createTextReporter } from './logging/text-reporter.js';

export { withLogFields } from './core/vocabulary/log-fields.js';

/** Log levels by name, as in config files. */
const LOG_LEVELS = { silent: -999, error: 0, warn: 1, info: 3, debug: 4, trace: 5 } as const;

/** Options of {@link createLogger}. */
export interface CreateLoggerOptions {
  /** A level name (`silent`, `error`, `warn`, `info`, `debug`, `trace`) or consola's number; default info. */
  readonly level?: 'silent' | 'error' | 'warn' | 'info' | 'debug' | 'trace' | number;
  readonly tag?: string;
  /**
   * `json`: one JSON object per line; `text`: `<ISO time> <LEVEL> [tag] message` lines. Default: text when `stream`
   * is a TTY, json otherwise (as `Worker:LogFormat`).
   */
  readonly format?: 'text' | 'json';
  /** Where every record goes, warnings and errors included (one stream keeps the order); default process.stdout. */
  readonly stream?: {
    /** Writes one record's text (a line, with its newline). */
    write(chunk: string): unknown;
  };
}

/**
 * Creates a consola logger tagged `tag` that writes `format` lines to `stream`. Each record is one write: in json
 * one line, in text one line plus, for an error, its stack on indented lines; runtime frames (Node's own,
 * node_modules, the tsx loader) are cut to one `(n runtime frames)` line. Fields given with `withDefaults()` or a
 * log object (`logger.info({ message, args, jobName })`, see `logWith`) appear in the json records.
 */
export function createLogger(options: CreateLoggerOptions = {}): ConsolaInstance {
  const level = typeof options.level === 'number' ? options.level : LOG_LEVELS[options.level ?? 'info'];
  const stream = options.stream ?? process.stdout;
  const format = options.format ?? ((stream as { isTTY?: boolean }).isTTY === true ? 'text' : 'json');
  const reporter = format === 'json' ? createJsonReporter(stream) : createTextReporter(stream);
  const logger = createConsola({ level: level as ConsolaLevel, throttle: 0, reporters: [reporter] });
  return options.tag ? logger.withTag(options.tag) : logger;
}

/** A logger that drops everything (benchmarks, quiet specs). */
export const silentLogger = {
  /** Drops the line. */
  debug() {},
  /** Drops the line. */
  info() {},
  /** Drops the line. */
  warn() {},
  /** Drops the line. */
  error() {},
};
