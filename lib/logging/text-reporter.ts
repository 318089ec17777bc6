// The text format, for a terminal: `<ISO time> <LEVEL> [tag] message`, one line per record; an error's type,
// message and trimmed frames follow on indented lines. Never a blank line (consola's fancy and basic reporters
// put blank lines around warnings and errors).
import type { ConsolaReporter } from 'consola/core';
import { inline, toLogEntry, type ErrorEntry, type LineStream, type LogEntry } from './to-log-entry.js';

/** A consola reporter that writes every record as text lines to `stream`. */
export function createTextReporter(stream: LineStream): ConsolaReporter {
  return {
    log(logObj) {
      stream.write(`${toTextLines(toLogEntry(logObj)).join('\n')}\n`);
    },
  };
}

/** One record as text lines: the head line, continuation lines of a multi-line message, then the error. */
function toTextLines(entry: LogEntry): string[] {
  const message = [entry.msg, ...entry.data.map(inline)].filter((part) => part !== '').join(' ');
  const [first = '', ...rest] = nonBlankLines(message);
  const head = `${entry.time} ${entry.level.toUpperCase().padEnd(5)}${entry.tag === '' ? '' : ` [${entry.tag}]`} ${first}`.trimEnd();
  return [head, ...rest.map((line) => `    ${line}`), ...(entry.error === undefined ? [] : errorLines(entry.error, ''))];
}

function errorLines(error: ErrorEntry, prefix: string): string[] {
  const header = nonBlankLines(`${prefix}${error.type}: ${error.message}`).map((line) => `  ${line}`);
  const frames = nonBlankLines(error.stack).map((frame) => `    ${frame.trim()}`);
  return [...header, ...frames, ...(error.cause === undefined ? [] : errorLines(error.cause, 'Caused by: '))];
}

function nonBlankLines(text: string): string[] {
  return text.split(/\r?\n/).filter((line) => line.trim() !== '');
}
