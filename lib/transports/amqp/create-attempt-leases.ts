// The attempts this process runs, as the other processes of its WorkerId may need to know them: an attempt that
// has run for a while is held in the shared records with a lease, refreshed while it runs, so that a redelivery of
// its delivery (its connection cut while it still runs here) waits in the other process instead of running it a
// second time. When a held attempt ends, or any attempt's delivery could not be settled (its channel gone), how it
// ended is written: the waiting process then acks it unrun, or runs it. Short attempts cost nothing here: a
// redelivery waits a grace period before it asks, longer than an attempt takes to be held.
import type { Attempt, SharedOccurrences } from '../../core/vocabulary/ports.js';
import type { Settlement } from '../../core/vocabulary/delivery-fate.js';
import { WorkerDefaults } from '../../core/vocabulary/defaults.js';

/** The leases' timing, here and in a process that waits for another's run (WorkerDefaults.attemptLeases unless a spec says otherwise). */
export interface AttemptTiming {
  /** An attempt running this long is held. */
  readonly holdAfterMs: number;
  /** How long a hold lasts unless refreshed (refreshed every third of it). */
  readonly leaseMs: number;
  /** How often running attempts are looked at. */
  readonly tickMs: number;
  /** How long a redelivery that no record explains waits before it asks who holds its attempt. */
  readonly graceMs: number;
  /** How often it asks again while another process holds it. */
  readonly pollMs: number;
}

/** The process's attempts in the shared records. */
export interface AttemptLeases {
  /** An attempt starts running here. */
  begin(attempt: Attempt): void;
  /** An attempt's delivery was told `settlement`; `delivered` false when its channel was gone (the broker redelivers it). */
  settled(attempt: Attempt, settlement: Settlement, delivered: boolean): void;
  /** Stops the timer. */
  close(): void;
}

/** One attempt running here, and when it was last held. */
interface Running {
  readonly attempt: Attempt;
  readonly since: number;
  heldAt: number | undefined;
}

/** Creates the leases and starts their timer (unref'd). */
export function createAttemptLeases(shared: SharedOccurrences, timing: AttemptTiming = WorkerDefaults.attemptLeases, now: () => number = Date.now): AttemptLeases {
  const running = new Map<string, Running>();
  const keyOf = (a: Attempt) => `${a.occurrenceId}:${a.retryCount}`;
  const timer = setInterval(() => {
    const at = now();
    const due: Attempt[] = [];
    for (const entry of running.values()) {
      const stale = entry.heldAt === undefined ? at - entry.since >= timing.holdAfterMs : at - entry.heldAt >= timing.leaseMs / 3;
      if (!stale) continue;
      entry.heldAt = at;
      due.push(entry.attempt);
    }
    if (due.length > 0) void shared.hold(due, timing.leaseMs);
  }, timing.tickMs);
  timer.unref();
  return {
    begin(attempt) {
      running.set(keyOf(attempt), { attempt, since: now(), heldAt: undefined });
    },
    settled(attempt, settlement, delivered) {
      const key = keyOf(attempt);
      const entry = running.get(key);
      running.delete(key);
      if (delivered && entry?.heldAt === undefined) return;
      void shared.end(attempt, settlement === 'ack' ? 'settled' : 'returned');
    },
    close() {
      clearInterval(timer);
    },
  };
}
