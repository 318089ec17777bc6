// A process's rate limiter: the generic cell rate algorithm with reservations. Each start of a limited job takes
// the next free turn of its bucket and waits until then, so the limit holds without polling and turns are given in
// arrival order. Turns are spaced evenly, period / count apart, with no burst: so no window of the period ever
// holds more than count starts, which is what an API's quota counts (a burst of count would allow up to
// 2 × count - 1 in one window). A turn taken by a job that then does not start (a cancel, a shutdown) is not given back: the limit
// errs towards fewer starts, never more.
import type { RateLimit } from '../vocabulary/types.js';

/** Turns of one process's buckets. */
export interface RateLimiter {
  /** Takes the next turn of `bucket` under `limit`; returns the milliseconds to wait before it (0: start now). */
  reserve(bucket: string, limit: Pick<RateLimit, 'count' | 'periodSeconds' | 'maxKeys'>): number;
  /** Buckets known right now (bounded by each limit's maxKeys). */
  readonly size: number;
}

/** The keys kept by default, per limited job. */
const DEFAULT_MAX_KEYS = 10_000;

/** The spacing of turns and the burst tolerance of a limit, in ms (GCRA's T and τ; no burst: τ = 0). */
export function gcraOf(limit: Pick<RateLimit, 'count' | 'periodSeconds'>): { readonly intervalMs: number; readonly toleranceMs: number } {
  return { intervalMs: (limit.periodSeconds * 1000) / limit.count, toleranceMs: 0 };
}

/** Creates a limiter; `now` is for specs. */
export function createRateLimiter(now: () => number = Date.now): RateLimiter {
  // The theoretical arrival time of each bucket's next turn. A bucket whose time has passed holds no state
  // a fresh one would not: it is swept before any is forgotten.
  const arrivals = new Map<string, number>();
  const sweep = (t: number) => {
    for (const [bucket, tat] of arrivals) if (tat <= t) arrivals.delete(bucket);
  };
  return {
    reserve(bucket, limit) {
      const t = now();
      const { intervalMs, toleranceMs } = gcraOf(limit);
      const known = arrivals.get(bucket);
      const tat = known === undefined || known < t ? t : known;
      const start = Math.max(t, tat - toleranceMs);
      // Re-inserted, so the map's order is least recently used first.
      arrivals.delete(bucket);
      arrivals.set(bucket, tat + intervalMs);
      const maxKeys = limit.maxKeys ?? DEFAULT_MAX_KEYS;
      if (arrivals.size > maxKeys) {
        sweep(t);
        for (const oldest of arrivals.keys()) {
          if (arrivals.size <= maxKeys) break;
          arrivals.delete(oldest);
        }
      }
      return start - t;
    },
    get size() {
      return arrivals.size;
    },
  };
}
