// Turns the raw `jobData` string into the job's typed data: safe JSON parsing, then schema validation.
import { err, ok, type Result } from 'neverthrow';
import * as v from 'valibot';
import type { AnyJobDefinition } from '../vocabulary/types.js';
import { isForbiddenKey } from '../util/is-forbidden-key.js';
import { errorMessage } from '../util/error-message.js';
import { toIssueTexts } from '../util/to-issue-texts.js';

/** Keys that could reach a prototype when user code merges parsed data; they are dropped while parsing. */
function dropDangerousKeys(key: string, value: unknown): unknown {
  return isForbiddenKey(key) ? undefined : value;
}

/** Parses JSON without prototype pollution: `__proto__`, `constructor` and `prototype` keys are removed. */
export function parseJsonSafely(text: string): Result<unknown, string> {
  try {
    return ok(JSON.parse(text, dropDangerousKeys));
  } catch (error) {
    return err(errorMessage(error));
  }
}

/**
 * Parses and validates a job's data. Absent or empty `jobData` means `{}` (the scheduler's own
 * normalisation); invalid JSON or a schema mismatch gives the list of problems, one per field.
 */
export function parseJobData(definition: AnyJobDefinition, raw: string | undefined): Result<unknown, string[]> {
  const parsed = raw === undefined || raw.trim() === '' ? ok({}) : parseJsonSafely(raw);
  if (parsed.isErr()) return err([`jobData is not valid JSON: ${parsed.error}`]);
  if (definition.schema === undefined) return ok(parsed.value);
  const checked = v.safeParse(definition.schema, parsed.value);
  if (checked.success) return ok(checked.output);
  return err(toIssueTexts(checked.issues));
}
