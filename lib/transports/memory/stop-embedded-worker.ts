// How an embedded worker stops: the jobs not started end Cancelled (they never ran), then the running ones get a
// grace period before they are aborted (reason: shutdown).
import type { Fifo } from '../../core/util/fifo.js';
import type { JobEnvelope } from '../../core/vocabulary/types.js';
import type { StatusRecord } from '../../core/vocabulary/ports.js';
import { cancelled } from '../../core/vocabulary/outcomes.js';
import { toStatusRecord } from '../../core/engine/to-status-record.js';
import { toVerdict } from '../../core/engine/to-verdict.js';
import type { InFlight } from './create-in-flight.js';

/** Ends every queued job and every waiting retry as Cancelled, one after another. */
export async function cancelNotStarted(
  backlogs: readonly Fifo<JobEnvelope>[],
  retryTimers: Map<NodeJS.Timeout, JobEnvelope>,
  writeCancelled: (envelope: JobEnvelope, reason: string) => Promise<void>,
  inFlight: InFlight,
): Promise<void> {
  for (const backlog of backlogs) {
    // Queued but not started: nothing ran, so they end Cancelled rather than vanish.
    for (const envelope of backlog.drain()) {
      await writeCancelled(envelope, 'The embedded worker closed before the job started');
      inFlight.done();
    }
  }
  for (const [timer, envelope] of retryTimers) {
    clearTimeout(timer);
    retryTimers.delete(timer);
    await writeCancelled(envelope, 'The embedded worker closed before the scheduled retry');
    inFlight.done();
  }
}

/** Waits up to `graceMs` for the running jobs, then aborts them (reason: shutdown) and waits for them to end. */
export async function waitForRunning(inFlight: InFlight, graceMs: number, shutdown: AbortController): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  await Promise.race([inFlight.idle(), new Promise<void>((resolve) => (timer = setTimeout(resolve, graceMs)))]);
  clearTimeout(timer);
  shutdown.abort();
  if (inFlight.count > 0) await inFlight.idle();
}

/** The final Cancelled status of a job that never ran: what a cancel means, with no start time. */
export function toCancelledRecord(envelope: JobEnvelope, reason: string, now: number): StatusRecord {
  const verdict = toVerdict(cancelled(reason, 'user'), envelope, 0);
  // Only a scheduled retry has no status; a cancel's is Cancelled.
  return toStatusRecord(envelope, { status: verdict.status!, phase: 'final', startTime: null, endTime: now, timestamp: now, result: verdict.result, exception: verdict.exception });
}
