// The scheduler's cancellation message (protocol §2.8), written as Milvaion's cancel endpoint writes it: the
// inverse of parseCancellation(), for the test scheduler and the CLI's `cancel`.
import type { CancellationRequest } from './parse-cancellation.js';

/**
 * The JSON payload Milvaion's scheduler publishes on the cancellation channel: `CorrelationId` and `OccurrenceId`
 * both name the occurrence (the .NET SDK reads `CorrelationId`, case-sensitively; newer workers `OccurrenceId`),
 * `JobId` is null when unknown (the SDK reads it as a nullable string), and PascalCase keys in the scheduler's order.
 */
export function toCancellationMessage(request: CancellationRequest): string {
  return JSON.stringify({ CorrelationId: request.occurrenceId, JobId: request.jobId ?? null, OccurrenceId: request.occurrenceId, Reason: request.reason });
}
