// The turn of a rate-limited job: before it starts (no Running yet, no ExecutionTimeout running), it takes the next
// turn of its bucket (the job, or the job and its key's value) from the shared limits when the job's scope is
// `shared` and Redis answers, else from the process's own limiter, and waits for it. The occurrence's dashboard log
// says once that it waits. A cancel ends the wait (the occurrence ends Cancelled, unrun); so does the transport's
// `closing` (its delivery goes back to the queue).
import type { CancellationRegistry, SharedRateLimits, Sink, WorkerTelemetry } from '../vocabulary/ports.js';
import type { AnyJobDefinition, JobEnvelope, RateLimit, TechnicalLogger } from '../vocabulary/types.js';
import { JobAbortError } from '../vocabulary/job-abort-error.js';
import { createAbortHandle } from './create-abort-handle.js';
import { LogCategory, createJobLogger } from './create-job-logger.js';
import { createRateLimiter, type RateLimiter } from './create-rate-limiter.js';
import { parseJsonSafely } from './parse-job-data.js';

/** What a wait for a turn came to. */
export type Turn = { readonly kind: 'start' } | { readonly kind: 'cancelled'; readonly reason: string } | { readonly kind: 'closing' };

/** Options of {@link createJobLimits}. */
export interface JobLimitsOptions {
  readonly sink: Sink;
  readonly logger: TechnicalLogger;
  /** Where cancels by occurrence id arrive; a waiting job is registered there while it waits. */
  readonly registry?: CancellationRegistry | undefined;
  /** The limits every process of the WorkerId shares, when the worker has Redis. */
  readonly shared?: SharedRateLimits | undefined;
  readonly telemetry?: WorkerTelemetry | undefined;
  readonly now?: () => number;
}

/** The rate limits of a worker's jobs. */
export interface JobLimits {
  /** Waits for the turn of an occurrence of a job with a rate limit. */
  turn(definition: AnyJobDefinition | undefined, limit: RateLimit, envelope: JobEnvelope, closing: AbortSignal): Promise<Turn>;
  /** Jobs waiting for their turn now, by job name. */
  readonly waiting: ReadonlyMap<string, number>;
  /** Since when (ms) each job has had jobs waiting without a break. */
  readonly busySince: ReadonlyMap<string, number>;
}

const START: Turn = { kind: 'start' };

/** Creates the limits of one process. */
export function createJobLimits(options: JobLimitsOptions): JobLimits {
  const now = options.now ?? Date.now;
  const { logger, telemetry } = options;
  const limiters = new Map<string, RateLimiter>();
  const waiting = new Map<string, number>();
  const busySince = new Map<string, number>();
  // Jobs whose shared limit fell back to the process's own, so the fallback and the return are said once each.
  const alone = new Set<string>();

  async function reserve(name: string, bucket: string, limit: RateLimit): Promise<number> {
    if (limit.scope === 'shared' && options.shared !== undefined) {
      const wait = await options.shared.reserve(bucket, limit);
      if (wait !== undefined) {
        if (alone.delete(name)) logger.info(`Rate limit of ${name}: Redis answers again; the limit is shared by every process of this worker`);
        return wait;
      }
      if (!alone.has(name)) {
        alone.add(name);
        logger.warn(`Rate limit of ${name}: Redis did not answer; until it does, each process keeps the limit on its own`);
      }
    }
    let limiter = limiters.get(name);
    if (limiter === undefined) limiters.set(name, (limiter = createRateLimiter(now)));
    return limiter.reserve(bucket, limit);
  }

  return {
    async turn(definition, limit, envelope, closing) {
      const name = definition?.name ?? envelope.jobName;
      const key = keyOf(limit, envelope);
      const wait = await reserve(name, key === undefined ? name : `${name}:${key}`, limit);
      if (wait <= 0) return START;
      const count = (waiting.get(name) ?? 0) + 1;
      waiting.set(name, count);
      if (count === 1) busySince.set(name, now());
      telemetry?.limitWaiting?.(name, 1);
      const log = createJobLogger(envelope, (record) => void options.sink.write(record).catch(() => undefined), { now });
      const per = key === undefined ? '' : ` for ${JSON.stringify(key)}`;
      log.write('Information', `Waiting ${formatSeconds(wait)} for its turn under the rate limit of ${limit.count} per ${limit.periodSeconds} s${per}`, null, LogCategory.Execution);
      const handle = createAbortHandle();
      options.registry?.register(envelope.occurrenceId, handle);
      const began = now();
      try {
        return await sleep(wait, handle.signal, closing);
      } finally {
        options.registry?.unregister(envelope.occurrenceId, handle);
        const left = (waiting.get(name) ?? 1) - 1;
        if (left === 0) {
          waiting.delete(name);
          busySince.delete(name);
        } else waiting.set(name, left);
        telemetry?.limitWaiting?.(name, -1);
        telemetry?.limitWaited?.(name, (now() - began) / 1000);
      }
    },
    waiting,
    busySince,
  };
}

/** The value that names an occurrence's bucket, as text; undefined when the limit has no key or the data lacks it. */
function keyOf(limit: RateLimit, envelope: JobEnvelope): string | undefined {
  if (limit.key === undefined) return undefined;
  const raw = envelope.jobData;
  const parsed = raw === undefined || raw.trim() === '' ? undefined : parseJsonSafely(raw).unwrapOr(undefined);
  let value: unknown;
  if (typeof limit.key === 'function') {
    try {
      value = (limit.key as (data: unknown) => unknown)(parsed ?? {});
    } catch {
      value = undefined;
    }
  } else {
    value = parsed;
    for (const part of limit.key.split('.')) value = typeof value === 'object' && value !== null ? (value as Record<string, unknown>)[part] : undefined;
  }
  return typeof value === 'string' || typeof value === 'number' || typeof value === 'boolean' ? String(value) : undefined;
}

/** Sleeps `ms`, or less when a cancel or the transport's closing comes first. */
function sleep(ms: number, cancel: AbortSignal, closing: AbortSignal): Promise<Turn> {
  if (closing.aborted) return Promise.resolve({ kind: 'closing' });
  return new Promise<Turn>((resolve) => {
    const done = (turn: Turn) => {
      clearTimeout(timer);
      cancel.removeEventListener('abort', onCancel);
      closing.removeEventListener('abort', onClosing);
      resolve(turn);
    };
    const onCancel = () => {
      const reason: unknown = cancel.reason;
      done({ kind: 'cancelled', reason: reason instanceof JobAbortError ? reason.message : 'Cancelled' });
    };
    const onClosing = () => done({ kind: 'closing' });
    const timer = setTimeout(() => done(START), ms);
    cancel.addEventListener('abort', onCancel, { once: true });
    closing.addEventListener('abort', onClosing, { once: true });
  });
}

/** `1.5 s`, `250 ms`. */
function formatSeconds(ms: number): string {
  return ms >= 1000 ? `${(ms / 1000).toFixed(1)} s` : `${Math.ceil(ms)} ms`;
}
