// The in-process cancellation registry: which occurrences run here, and which were cancelled while a
// scheduled retry was pending (so the retried delivery ends Cancelled instead of running again).
import { JobAbortError } from '../vocabulary/job-abort-error.js';
import type { AbortHandle } from '../vocabulary/types.js';
import { type CancellationRegistry } from '../vocabulary/ports.js';

/** Creates a registry; tombstones of cancelled waiting retries are kept until their retry time plus `graceMs`. */
export function createCancellationRegistry(options: { now?: () => number; graceMs?: number } = {}): CancellationRegistry {
  const now = options.now ?? Date.now;
  const graceMs = options.graceMs ?? 10 * 60_000;
  // Usually one handle per occurrence; a duplicate delivery running at the same time makes it an array.
  const running = new Map<string, AbortHandle | AbortHandle[]>();
  const waiting = new Map<string, number>();
  const cancelled = new Map<string, { reason: string; expiresAt: number }>();

  const sweep = () => {
    const t = now();
    for (const [id, until] of waiting) if (until + graceMs < t) waiting.delete(id);
    for (const [id, c] of cancelled) if (c.expiresAt < t) cancelled.delete(id);
  };

  return {
    register(occurrenceId, handle) {
      const existing = running.get(occurrenceId);
      if (existing === undefined) running.set(occurrenceId, handle);
      else running.set(occurrenceId, Array.isArray(existing) ? [...existing, handle] : [existing, handle]);
    },
    unregister(occurrenceId, handle) {
      const existing = running.get(occurrenceId);
      if (existing === handle) running.delete(occurrenceId);
      else if (Array.isArray(existing)) {
        const rest = existing.filter((h) => h !== handle);
        if (rest.length === 0) running.delete(occurrenceId);
        else running.set(occurrenceId, rest.length === 1 ? rest[0]! : rest);
      }
    },
    cancel(occurrenceId, reason) {
      const handles = running.get(occurrenceId);
      if (handles !== undefined) {
        const error = new JobAbortError('user', reason);
        for (const handle of Array.isArray(handles) ? handles : [handles]) handle.abort(error);
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
      return cancelled.size === 0 ? undefined : cancelled.get(occurrenceId)?.reason;
    },
    awaitRetry(occurrenceId, untilMs) {
      if (waiting.size > 0 && waiting.size % 1024 === 0) sweep();
      waiting.set(occurrenceId, untilMs);
    },
    forget(occurrenceId) {
      if (waiting.size > 0) waiting.delete(occurrenceId);
      if (cancelled.size > 0) cancelled.delete(occurrenceId);
    },
  };
}
