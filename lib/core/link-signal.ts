// linkSignal(): a child AbortController that follows its parents, released without leaking listeners.

/** A child signal and the means to abort it or detach it from its parents. */
export interface LinkedSignal {
  readonly signal: AbortSignal;
  abort(reason: unknown): void;
  /** Detaches from the parents; call it in `finally`. */
  release(): void;
}

/**
 * Links a new controller to parent signals. Cheaper than `AbortSignal.any` on the hot path and released
 * deterministically, so a long-lived shutdown signal does not accumulate one listener per job.
 */
export function linkSignal(...parents: (AbortSignal | undefined)[]): LinkedSignal {
  const controller = new AbortController();
  const attached: AbortSignal[] = [];
  const onAbort = function (this: AbortSignal) {
    controller.abort(this.reason);
  };
  for (const parent of parents) {
    if (parent === undefined) continue;
    if (parent.aborted) {
      controller.abort(parent.reason);
      break;
    }
    parent.addEventListener('abort', onAbort, { once: true });
    attached.push(parent);
  }
  return {
    signal: controller.signal,
    abort: (reason) => controller.abort(reason),
    release() {
      for (const parent of attached) parent.removeEventListener('abort', onAbort);
      attached.length = 0;
    },
  };
}
