// Ends an occurrence without running it, for a failure the transport found before the pipeline (a crash loop):
// the occurrence's dashboard log says why, and its final status follows, as an execution's would.
import { err } from 'neverthrow';
import type { Sink } from '../vocabulary/ports.js';
import type { JobFailure, Outcome } from '../vocabulary/outcome.js';
import type { JobEnvelope } from '../vocabulary/types.js';
import { LogCategory, createJobLogger } from './create-job-logger.js';
import { toStatusRecord } from './to-status-record.js';
import { toVerdict } from './to-verdict.js';

/** Writes the log line and the final status of `failure` to the sink; resolves with the outcome once both are durable. */
export async function declineOccurrence(envelope: JobEnvelope, failure: JobFailure, sink: Sink, now: () => number = Date.now): Promise<Outcome> {
  const outcome: Outcome = err(failure);
  const verdict = toVerdict(outcome, envelope, 0);
  const writes: Promise<void>[] = [];
  const log = createJobLogger(envelope, (record) => writes.push(sink.write(record)), { now });
  log.write('Error', verdict.exception ?? 'Not run', { Reason: verdict.label, RetryCount: envelope.retryCount }, LogCategory.Execution);
  const time = now();
  if (verdict.status !== null) {
    writes.push(sink.write(toStatusRecord(envelope, { status: verdict.status, phase: 'final', startTime: time, endTime: time, timestamp: time, result: verdict.result, exception: verdict.exception })));
  }
  await Promise.all(writes);
  return outcome;
}
