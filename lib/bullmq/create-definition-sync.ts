// Keeps Milvaion's job definitions in step with a BullMQ queue: its job schedulers (polled, and only what
// changed is registered again; a removed one is registered inactive) and the names of jobs added one by one
// (registered the first time a job of that name is seen). A definition is registered before any Starting of
// its jobs, as Milvaion drops the events of a job it does not know.
import type { JobSchedulerJson, Queue } from 'bullmq';
import type { TechnicalLogger } from '../core/vocabulary/types.js';
import { errorMessage } from '../core/util/error-message.js';
import type { ExternalJob, ExternalReporter } from '../external/external-types.js';
import { toExternalJob, toExternalJobId, type JobView } from './to-external.js';

/** Options of createDefinitionSync(). */
export interface DefinitionSyncOptions {
  readonly queue: Pick<Queue, 'name' | 'getJobSchedulers' | 'getJobScheduler'>;
  readonly reporter: Pick<ExternalReporter, 'registerJob'>;
  /** Milliseconds between two passes over the job schedulers. */
  readonly intervalMs: number;
  readonly logger: TechnicalLogger;
}

/** The running sync. */
export interface DefinitionSync {
  /** One pass over the queue's job schedulers now: registers the new and changed ones, deactivates the removed. */
  sync(): Promise<void>;
  /** Registers the definition of `job` unless this process already has; resolves with its ExternalJobId. */
  ensure(job: JobView): Promise<string>;
  /** Stops the polling and waits for the pass under way. */
  close(): Promise<void>;
}

/** What was last registered for a scheduler key. */
interface Registered {
  readonly fingerprint: string;
  readonly job: ExternalJob;
  readonly active: boolean;
}

/** Creates the sync and starts its first pass; later passes follow `intervalMs` after each one ends. */
export function createDefinitionSync(options: DefinitionSyncOptions): DefinitionSync {
  const { queue, reporter, logger } = options;
  const schedulers = new Map<string, Registered>();
  // Every definition registered (or being registered) by ExternalJobId: a Starting waits for its definition.
  const known = new Map<string, Promise<void>>();
  let passes: Promise<void> = Promise.resolve();

  async function register(key: string, job: ExternalJob, active: boolean): Promise<void> {
    const last = schedulers.get(key);
    // Recorded at once, so that a pass or an ensure() meanwhile sees it and does not register it again.
    schedulers.set(key, { fingerprint: fingerprintOf(job), job, active });
    const registration = reporter.registerJob(job);
    known.set(job.externalJobId, registration);
    await registration.catch((error: unknown) => {
      known.delete(job.externalJobId);
      if (last === undefined) schedulers.delete(key);
      else schedulers.set(key, last);
      throw error;
    });
  }

  async function pass(): Promise<void> {
    const list: JobSchedulerJson[] = await queue.getJobSchedulers(0, -1, true);
    const seen = new Set(list.map((s) => s.key));
    for (const scheduler of list) {
      const job = toExternalJob(queue.name, { scheduler });
      // An ensure() that is reading this scheduler registers it: wait for it, then compare.
      if (!schedulers.has(scheduler.key)) await known.get(job.externalJobId)?.catch(() => undefined);
      const last = schedulers.get(scheduler.key);
      // The next run changes after every run and Milvaion reads it only when it creates the job: not a change.
      if (last?.active === true && last.fingerprint === fingerprintOf(job)) continue;
      await register(scheduler.key, job, true).catch((error: unknown) => logger.warn(`BullMQ job scheduler ${scheduler.key} of queue ${queue.name} not registered: ${errorMessage(error)}`));
    }
    for (const [key, last] of schedulers) {
      if (seen.has(key) || !last.active) continue;
      await register(key, { ...last.job, nextExecuteAt: undefined, isActive: false }, false).catch((error: unknown) => logger.warn(`removed BullMQ job scheduler ${key} of queue ${queue.name} not deactivated: ${errorMessage(error)}`));
    }
  }

  function sync(): Promise<void> {
    passes = passes.then(pass);
    const current = passes;
    passes = passes.catch(() => undefined); // a failed pass does not stop the next one
    return current;
  }

  /** A scheduler this process has not registered yet (added since the last pass, or already removed). */
  async function ensureScheduler(key: string, jobName: string): Promise<void> {
    const scheduler = await queue.getJobScheduler(key);
    if (scheduler !== undefined) return register(key, toExternalJob(queue.name, { scheduler }), true);
    return register(key, toRemovedScheduler(queue.name, key, jobName), false);
  }

  async function ensure(job: JobView): Promise<string> {
    const key = job.repeatJobKey ?? job.name;
    const externalJobId = toExternalJobId(queue.name, key);
    let registration = known.get(externalJobId);
    if (registration === undefined) {
      registration =
        job.repeatJobKey === undefined ? reporter.registerJob(toExternalJob(queue.name, { jobName: job.name })) : ensureScheduler(job.repeatJobKey, job.name);
      known.set(externalJobId, registration);
      registration.catch(() => known.delete(externalJobId));
    }
    await registration;
    return externalJobId;
  }

  const stop = repeat(() => sync().catch((error: unknown) => logger.warn(`BullMQ job schedulers of queue ${queue.name} not read: ${errorMessage(error)}`)), options.intervalMs);
  return {
    sync,
    ensure,
    async close() {
      stop();
      await passes;
    },
  };
}

/** Runs `run` (which never rejects) now, and again `intervalMs` after each run ends, until the returned stop(). */
function repeat(run: () => Promise<void>, intervalMs: number): () => void {
  let timer: NodeJS.Timeout | undefined;
  let stopped = false;
  const next = (): void => {
    if (stopped) return;
    timer = setTimeout(() => void run().then(next), intervalMs);
    timer.unref(); // reporting never keeps a process alive on its own
  };
  void run().then(next);
  return () => {
    stopped = true;
    clearTimeout(timer);
  };
}

/** The definition of a scheduler that is gone before this process registered it (a job it made is still seen). */
function toRemovedScheduler(queueName: string, key: string, jobName: string): ExternalJob {
  const job = toExternalJob(queueName, { scheduler: { key, name: jobName } });
  return { ...job, description: `BullMQ job scheduler "${key}" on queue "${queueName}", removed`, isActive: false };
}

/** A definition without its next run, as text: equal texts need no new registration. */
function fingerprintOf(job: ExternalJob): string {
  try {
    return JSON.stringify({ ...job, nextExecuteAt: undefined });
  } catch {
    return ''; // data JSON cannot hold: the reporter refuses it, so it is never recorded as registered
  }
}
