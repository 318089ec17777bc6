// The default pipeline, outermost first. The order is the contract; each position has a reason:
//   logging      outermost: sees the final outcome and the total time, retries included.
//   filter       before/after hooks run once per occurrence, and a skip costs no attempt.
//   cancellation outside retry: a cancel (or shutdown) ends the occurrence and stops further attempts.
//   retry        decides whether and when to try again (in-process, or as a decision for the transport).
//   timeout      inside retry: every attempt gets its own budget.
import type { CancellationRegistry } from '../core/vocabulary/ports.js';
import type { Middleware } from '../core/vocabulary/types.js';
import { registryCancellation } from './cancellation.js';
import { filter, type JobFilter } from './filter.js';
import { logging } from './logging.js';
import { retry } from './retry.js';
import { timeout } from './timeout.js';

/** Options of {@link defaultMiddleware}. */
export interface DefaultMiddlewareOptions {
  /** `scheduled` for transports that carry out retries themselves (AMQP, memory); `in-process` otherwise. */
  readonly retryMode?: 'in-process' | 'scheduled';
  /** @internal Where cancels by occurrence id arrive (the worker's own registry). */
  readonly registry?: CancellationRegistry | undefined;
  readonly shutdownSignal?: AbortSignal | undefined;
  /** IJobFilter-style hooks, each becoming one filter() layer in the order given. */
  readonly filters?: readonly JobFilter[];
  /** Your own middleware, placed between filter and cancellation (after the built-ins that must wrap it). */
  readonly use?: readonly Middleware[];
  readonly mirrorUserLogs?: boolean;
}

/** Builds the default middleware list: logging → filter → (yours) → cancellation → retry → timeout. */
export function defaultMiddleware(options: DefaultMiddlewareOptions = {}): Middleware[] {
  return [
    logging({ mirrorUserLogs: options.mirrorUserLogs ?? false }),
    ...(options.filters ?? []).map((hooks) => filter(hooks)),
    ...(options.use ?? []),
    registryCancellation(options.registry, options.shutdownSignal),
    retry({ mode: options.retryMode ?? 'in-process' }),
    timeout(),
  ];
}
