// createLogger(): the technical logger (consola) with throttling off, so repeated lines are never merged.
import { createConsola, type ConsolaInstance, type LogLevel as ConsolaLevel } from 'consola';

/** Log levels by name, as in config files. */
export const LOG_LEVELS = { silent: -999, error: 0, warn: 1, info: 3, debug: 4, trace: 5 } as const;

/** Creates a consola logger tagged `tag`; `level` is a name from {@link LOG_LEVELS} or consola's number. */
export function createLogger(options: { level?: keyof typeof LOG_LEVELS | number; tag?: string } = {}): ConsolaInstance {
  const level = typeof options.level === 'number' ? options.level : LOG_LEVELS[options.level ?? 'info'];
  const logger = createConsola({ level: level as ConsolaLevel, throttle: 0 });
  return options.tag ? logger.withTag(options.tag) : logger;
}

/** A logger that drops everything (benchmarks, quiet specs). */
export const silentLogger = {
  debug() {},
  info() {},
  warn() {},
  error() {},
};
