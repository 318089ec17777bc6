// The in-process cancellation registry: which occurrences run here, and which were cancelled while a
// scheduled retry was pending (so the retried delivery ends Cancelled instead of running again).
import { JobAbortError, type CancellationRegistry } from './types.ts';

/** Creates a registry; tombstones of cancelled waiting retries are kept until their retry time plus `graceMs`. */
export function createCancellationRegistry(options: { now?: () => number; graceMs?: number } = {}): CancellationRegistry {
  const now = options.now ?? Date.now;
  const graceMs = options.graceMs ?? 10 * 60_000;
  const running = new Map<string, Set<(error: JobAbortError) => void>>();
  const waiting = new Map<string, number>();
  const cancelled = new Map<string, { reason: string; expiresAt: number }>();

  const sweep = () => {
    const t = now();
    for (const [id, until] of waiting) if (until + graceMs < t) waiting.delete(id);
    for (const [id, c] of cancelled) if (c.expiresAt < t) cancelled.delete(id);
  };

  return {
    register(occurrenceId, abort) {
      let set = running.get(occurrenceId);
      if (set === undefined) running.set(occurrenceId, (set = new Set()));
      set.add(abort);
      return () => {
        const current = running.get(occurrenceId);
        if (current === undefined) return;
        current.delete(abort);
        if (current.size === 0) running.delete(occurrenceId);
      };
    },
    cancel(occurrenceId, reason) {
      const set = running.get(occurrenceId);
      if (set !== undefined) {
        const error = new JobAbortError('user', reason);
        for (const abort of [...set]) abort(error);
        return true;
      }
      const until = waiting.get(occurrenceId);
      if (until !== undefined) {
        waiting.delete(occurrenceId);
        cancelled.set(occurrenceId, { reason, expiresAt: Math.max(until, now()) + graceMs });
        return true;
      }
      return false;
    },
    isCancelled(occurrenceId) {
      if (cancelled.size === 0) return undefined;
      return cancelled.get(occurrenceId)?.reason;
    },
    awaitRetry(occurrenceId, untilMs) {
      if (waiting.size > 0 && waiting.size % 1024 === 0) sweep();
      waiting.set(occurrenceId, untilMs);
    },
    forget(occurrenceId) {
      waiting.delete(occurrenceId);
      cancelled.delete(occurrenceId);
    },
  };
}
