// One status of a dispatched occurrence as `milvaion-worker dispatch` prints it, and the exit code a final status
// ends the command with: 0 for Completed, 3 for any other final status (the scheduler's Unknown and Skipped too).
import { isFinalStatus } from '../../core/engine/is-final-status.js';
import { JobStatus } from '../../core/vocabulary/types.js';
import type { StatusBody } from '../../scheduler-client/create-scheduler-client.js';

const NAMES = new Map<number, JobStatus>(Object.values(JobStatus).map((value) => [value, value]));
const LABELS = new Map<number, string>(Object.entries(JobStatus).map(([name, value]) => [value, name]));

/** The line printed for a status message and, when the status is final, the exit code (else undefined). */
export function toStatusLine(body: StatusBody): { readonly line: string; readonly exitCode: number | undefined } {
  const status = body.Status;
  const detail = body.Result ?? (body.Exception ? String(body.Exception).split('\n').slice(0, 2).join(' | ') : '');
  const line = `  ${String(LABELS.get(status ?? -1) ?? status)} ${detail}`.trimEnd();
  const known = status === undefined ? undefined : NAMES.get(status);
  if (known === undefined || !isFinalStatus(known)) return { line, exitCode: undefined };
  return { line, exitCode: known === JobStatus.Completed ? 0 : 3 };
}
