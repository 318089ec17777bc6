// The json format: one JSON object per line, for log collectors: time, level, tag, msg, the runtime's fields,
// data logged along, and error as { type, message, stack } with runtime frames cut.
import type { ConsolaReporter } from 'consola/core';
import { safeJson } from './safe-json.js';
import { toLogEntry, type LineStream, type LogEntry } from './to-log-entry.js';

/** A consola reporter that writes every record as one JSON line to `stream`. */
export function createJsonReporter(stream: LineStream): ConsolaReporter {
  return {
    log(logObj) {
      stream.write(`${toJsonLine(toLogEntry(logObj))}\n`);
    },
  };
}

/** One record as a line of JSON (without the line break). */
function toJsonLine(entry: LogEntry): string {
  const record: Record<string, unknown> = { time: entry.time, level: entry.level };
  if (entry.tag !== '') record['tag'] = entry.tag;
  record['msg'] = entry.msg;
  Object.assign(record, entry.fields);
  if (entry.data.length > 0) record['data'] = entry.data.length === 1 ? entry.data[0] : entry.data;
  if (entry.error !== undefined) record['error'] = entry.error;
  return safeJson(record);
}
