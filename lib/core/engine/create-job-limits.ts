// The turn of a limited job, before it starts (no Running yet, no ExecutionTimeout running). With a rate limit, it
// takes the next turn of its bucket (the job, or the job and its key's value) from the shared limits when the job's
// scope is `shared` and Redis answers, else from the process's own limiter, and waits for it. With a cap across
// processes (MaxParallelJobsGlobal), it then waits for a slot: a lease in Redis while Redis answers, else one of the
// process's own. The occurrence's dashboard log says once what it waits for. A cancel ends the wait (the occurrence
// ends Cancelled, unrun); so does the transport's `closing` (its delivery goes back to the queue).
import type { CancellationRegistry, SharedRateLimits, SharedSlots, Sink, WorkerTelemetry } from '../vocabulary/ports.js';
import type { AbortHandle, AnyJobDefinition, JobEnvelope, JobSettings, RateLimit, TechnicalLogger } from '../vocabulary/types.js';
import { JobAbortError } from '../vocabulary/job-abort-error.js';
import { createAbortHandle } from './create-abort-handle.js';
import { LogCategory, createJobLogger } from './create-job-logger.js';
import { createRateLimiter, type RateLimiter } from './create-rate-limiter.js';
import { parseJsonSafely } from './parse-job-data.js';

/** What a wait for a turn came to; a start holds its slot (if any) until `release()`. */
type Turn = { readonly kind: 'start'; release(): void } | { readonly kind: 'cancelled'; readonly reason: string } | { readonly kind: 'closing' };

/** How often a job waiting for a slot asks again (with up to half as much again of jitter, so processes do not ask in step). */
const SLOT_POLL_MS = 200;

/** Options of {@link createJobLimits}. */
export interface JobLimitsOptions {
  readonly sink: Sink;
  readonly logger: TechnicalLogger;
  /** Where cancels by occurrence id arrive; a waiting job is registered there while it waits. */
  readonly registry?: CancellationRegistry | undefined;
  /** The limits every process of the WorkerId shares, when the worker has Redis. */
  readonly shared?: SharedRateLimits | undefined;
  /** The slots every process of the WorkerId shares (MaxParallelJobsGlobal), when the worker has Redis. */
  readonly slots?: SharedSlots | undefined;
  readonly telemetry?: WorkerTelemetry | undefined;
  readonly now?: () => number;
}

/** The rate limits of a worker's jobs. */
export interface JobLimits {
  /** Waits for the turn of an occurrence of a job with a rate limit or a cap across processes. */
  turn(definition: AnyJobDefinition | undefined, settings: Pick<JobSettings, 'rateLimit' | 'maxParallelJobsGlobal'>, envelope: JobEnvelope, closing: AbortSignal): Promise<Turn>;
  /** Jobs waiting for their turn now, by job name. */
  readonly waiting: ReadonlyMap<string, number>;
  /** Since when (ms) each job has had jobs waiting without a break. */
  readonly busySince: ReadonlyMap<string, number>;
}

const START: Turn = { kind: 'start', release: () => undefined };

/** A job that waits: counted, cancellable by id, its dashboard log at hand. */
interface Waiter {
  readonly signal: AbortSignal;
  say(text: string): void;
  end(): void;
}

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

  // The process's own slots, per job: what a cap falls back to while Redis does not answer.
  const ownSlots = new Map<string, number>();
  const slotsAlone = new Set<string>();

  async function acquire(name: string, cap: number): Promise<(() => void) | undefined> {
    if (options.slots !== undefined) {
      const lease = await options.slots.acquire(name, cap);
      if (lease !== undefined) {
        if (slotsAlone.delete(name)) logger.info(`MaxParallelJobsGlobal of ${name}: Redis answers again; the cap holds across every process of this worker`);
        return lease === false ? undefined : lease.release;
      }
      if (!slotsAlone.has(name)) {
        slotsAlone.add(name);
        logger.warn(`MaxParallelJobsGlobal of ${name}: Redis did not answer; until it does, each process keeps the cap on its own`);
      }
    }
    const held = ownSlots.get(name) ?? 0;
    if (held >= cap) return undefined;
    ownSlots.set(name, held + 1);
    return () => ownSlots.set(name, (ownSlots.get(name) ?? 1) - 1);
  }

  function beginWait(name: string, envelope: JobEnvelope): Waiter {
    const count = (waiting.get(name) ?? 0) + 1;
    waiting.set(name, count);
    if (count === 1) busySince.set(name, now());
    telemetry?.limitWaiting?.(name, 1);
    const log = createJobLogger(envelope, (record) => void options.sink.write(record).catch(() => undefined), { now });
    const handle: AbortHandle = createAbortHandle();
    options.registry?.register(envelope.occurrenceId, handle);
    const began = now();
    return {
      signal: handle.signal,
      say: (text) => log.write('Information', text, null, LogCategory.Execution),
      end() {
        options.registry?.unregister(envelope.occurrenceId, handle);
        const left = (waiting.get(name) ?? 1) - 1;
        if (left === 0) {
          waiting.delete(name);
          busySince.delete(name);
        } else waiting.set(name, left);
        telemetry?.limitWaiting?.(name, -1);
        telemetry?.limitWaited?.(name, (now() - began) / 1000);
      },
    };
  }

  return {
    async turn(definition, settings, envelope, closing) {
      const name = definition?.name ?? envelope.jobName;
      let waiter: Waiter | undefined;
      try {
        const limit = settings.rateLimit;
        if (limit !== undefined) {
          const key = keyOf(limit, envelope);
          const wait = await reserve(name, key === undefined ? name : `${name}:${key}`, limit);
          if (wait > 0) {
            waiter = beginWait(name, envelope);
            const per = key === undefined ? '' : ` for ${JSON.stringify(key)}`;
            waiter.say(`Waiting ${formatSeconds(wait)} for its turn under the rate limit of ${limit.count} per ${limit.periodSeconds} s${per}`);
            const woke = await sleep(wait, waiter.signal, closing);
            if (woke !== undefined) return woke;
          }
        }
        const cap = settings.maxParallelJobsGlobal;
        if (cap === undefined) return START;
        for (let asked = 0; ; asked++) {
          const release = await acquire(name, cap);
          if (release !== undefined) return { kind: 'start', release };
          waiter ??= beginWait(name, envelope);
          if (asked === 0) waiter.say(`Waiting for a slot: at most ${cap} of ${name} run at once across this worker's processes (MaxParallelJobsGlobal)`);
          const woke = await sleep(SLOT_POLL_MS * (1 + Math.random() / 2), waiter.signal, closing);
          if (woke !== undefined) return woke;
        }
      } finally {
        waiter?.end();
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

/** Sleeps `ms` (resolving `undefined`), or less when a cancel or the transport's closing comes first. */
function sleep(ms: number, cancel: AbortSignal, closing: AbortSignal): Promise<Turn | undefined> {
  if (closing.aborted) return Promise.resolve({ kind: 'closing' });
  return new Promise<Turn | undefined>((resolve) => {
    const done = (turn: Turn | undefined) => {
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
    const timer = setTimeout(() => done(undefined), ms);
    cancel.addEventListener('abort', onCancel, { once: true });
    closing.addEventListener('abort', onClosing, { once: true });
  });
}

/** `1.5 s`, `250 ms`. */
function formatSeconds(ms: number): string {
  return ms >= 1000 ? `${(ms / 1000).toFixed(1)} s` : `${Math.ceil(ms)} ms`;
}
