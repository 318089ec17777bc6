// Checks what a job returned against its result schema (defineJob's `result`) before it is sent.
import { err, ok, type Result } from 'neverthrow';
import * as v from 'valibot';
import { toIssueTexts } from '../util/to-issue-texts.js';
import type { AnyJobDefinition } from '../vocabulary/types.js';

/**
 * Validates a job's returned value against its result schema: the schema's output (after transforms) is the
 * result to send; a mismatch gives the list of problems, one per field. Without a schema the value passes as is.
 */
export function parseJobResult(definition: AnyJobDefinition, value: unknown): Result<unknown, string[]> {
  if (definition.result === undefined) return ok(value);
  const checked = v.safeParse(definition.result, value);
  return checked.success ? ok(checked.output) : err(toIssueTexts(checked.issues));
}
