// defineSetup(): what a worker module may export besides jobs: its DI registrations and its own middleware.
import type { AwilixContainer } from 'awilix';
import type { Middleware, Services } from './core/vocabulary/types.js';

/** A module's contribution to the worker: services to register and middleware to add to the pipeline. */
export interface WorkerSetup {
  readonly kind: 'milvaion-setup';
  /** Registers services on the root container: `.singleton()`, `.scoped()` (one per job execution) or `.transient()`. */
  readonly services?: ((container: AwilixContainer<Services>) => void) | undefined;
  /** Middleware placed inside the default pipeline (after logging and filters, outside cancellation). */
  readonly use?: readonly Middleware[] | undefined;
}

/** Defines a worker setup; export it from a module the CLI loads (or pass it to createWorkerHost). */
export function defineSetup(setup: Omit<WorkerSetup, 'kind'>): WorkerSetup {
  if (setup.services !== undefined && typeof setup.services !== 'function') throw new TypeError('defineSetup: services must be a function');
  return Object.freeze({ kind: 'milvaion-setup' as const, ...setup });
}

/** Whether a value (e.g. a module export) is a setup made by defineSetup(). */
export function isWorkerSetup(value: unknown): value is WorkerSetup {
  return typeof value === 'object' && value !== null && (value as { kind?: unknown }).kind === 'milvaion-setup';
}
