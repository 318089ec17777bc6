// The in-flight count of the embedded worker (queued, running and retry-waiting jobs) and the callers
// waiting for it to reach zero.

/** A count of unfinished work that can be awaited down to zero. */
export interface InFlight {
  add(): void;
  /** Counts one piece of work as done; at zero, resolves every waiter. */
  done(): void;
  /** Resolves when the count is zero. */
  idle(): Promise<void>;
  readonly count: number;
}

/** Creates an in-flight count starting at zero. */
export function createInFlight(): InFlight {
  let count = 0;
  let idleWaiters: (() => void)[] = [];
  return {
    add() {
      count++;
    },
    done() {
      if (--count === 0) {
        const waiters = idleWaiters;
        idleWaiters = [];
        for (const resolve of waiters) resolve();
      }
    },
    idle: () => (count === 0 ? Promise.resolve() : new Promise<void>((resolve) => idleWaiters.push(resolve))),
    get count() {
      return count;
    },
  };
}
