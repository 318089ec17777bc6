// What both reporters print, read from consola's log object: time, level name, tag, message, the runtime's
// fields (workerId, jobName, durationMs…), plain objects logged along, and the first Error with a trimmed stack.
import { formatWithOptions, type InspectOptions } from 'node:util';
import type { LogObject } from 'consola/core';
import { describe } from '../core/engine/format-exception.js';
import { trimFrames } from './trim-stack.js';

/** Where a reporter writes: one `write` per record (process.stdout, a file stream, a spec's collector). */
export interface LineStream {
  /** Writes one record's text (a line, with its newline). */
  write(chunk: string): unknown;
}

/** Level names as in config files. */
type LevelName = 'error' | 'warn' | 'info' | 'debug' | 'trace';

/** An Error as logged: its type, message and trimmed frames (one per line), and its cause. */
export interface ErrorEntry {
  readonly type: string;
  readonly message: string;
  readonly stack: string;
  readonly cause?: ErrorEntry;
}

/** One record, ready to be printed. */
export interface LogEntry {
  readonly time: string;
  readonly level: LevelName;
  readonly tag: string;
  readonly msg: string;
  /** workerId, instanceId, jobName, occurrenceId, retryCount, durationMs first, then any other field. */
  readonly fields: Readonly<Record<string, unknown>>;
  /** Objects logged with the message (not Errors). */
  readonly data: readonly unknown[];
  readonly error: ErrorEntry | undefined;
}

/** The runtime's fields, in the order they are printed. */
const FIELD_ORDER = ['workerId', 'instanceId', 'jobName', 'occurrenceId', 'retryCount', 'durationMs'];
/** Properties of consola's log object that are not fields, and the record's own keys. */
const NOT_FIELDS = new Set(['date', 'args', 'type', 'level', 'tag', 'message', 'additional', 'badge', 'title', 'icon', 'time', 'msg', 'data', 'error']);
/** Everything on one line: no colours, no line breaks inside objects. */
const INLINE: InspectOptions = { colors: false, breakLength: Infinity, compact: true, depth: 4 };
/** How many causes of an error are followed. */
const MAX_CAUSES = 3;

/** Reads consola's log object into a {@link LogEntry}. */
export function toLogEntry(logObj: LogObject): LogEntry {
  const text: unknown[] = [];
  const data: unknown[] = [];
  let error: Error | undefined;
  for (const arg of logObj.args) {
    if (arg instanceof Error && error === undefined) error = arg;
    else if (typeof arg === 'object' && arg !== null) data.push(arg);
    else text.push(arg);
  }
  return {
    time: (logObj.date instanceof Date ? logObj.date : new Date()).toISOString(),
    level: levelName(logObj.level),
    tag: logObj.tag,
    msg: text.length === 0 ? '' : formatWithOptions(INLINE, ...text),
    fields: fieldsOf(logObj),
    data,
    error: error === undefined ? undefined : toErrorEntry(error),
  };
}

/** An Error's type, message, trimmed frames and (a few levels of) its cause. */
function toErrorEntry(error: Error, depth = 0): ErrorEntry {
  const { type, message, stack } = describe(error);
  const frames = trimFrames(stack === '' ? [] : stack.split('\n')).join('\n');
  const cause = error.cause instanceof Error && depth < MAX_CAUSES ? toErrorEntry(error.cause, depth + 1) : undefined;
  return cause === undefined ? { type, message, stack: frames } : { type, message, stack: frames, cause };
}

/** Formats objects the way the text format shows them: inline, without colours. */
export function inline(value: unknown): string {
  return formatWithOptions(INLINE, '%O', value);
}

function levelName(level: number): LevelName {
  if (level <= 0) return 'error';
  if (level === 1) return 'warn';
  if (level <= 3) return 'info';
  return level === 4 ? 'debug' : 'trace';
}

function fieldsOf(logObj: LogObject): Record<string, unknown> {
  const fields: Record<string, unknown> = {};
  for (const key of FIELD_ORDER) if (logObj[key] !== undefined) fields[key] = logObj[key];
  for (const [key, value] of Object.entries(logObj)) if (value !== undefined && !NOT_FIELDS.has(key) && !(key in fields)) fields[key] = value;
  return fields;
}
