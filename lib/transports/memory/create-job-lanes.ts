// The lanes of the embedded worker: one FIFO backlog per job name, each running at most its job's
// MaxParallelJobs at once and starting the next queued job as soon as a run ends.
import type { Executor } from '../../core/engine/create-executor.js';
import { Fifo } from '../../core/util/fifo.js';
import type { JobEnvelope } from '../../core/vocabulary/types.js';

/** Options of {@link createJobLanes}. */
export interface JobLanesOptions {
  /** Gives each lane its limit: the job's MaxParallelJobs, or 1 for a job it does not know. */
  readonly executor: Executor;
  /** Runs one job; the lane's slot is held until it settles. */
  readonly run: (envelope: JobEnvelope) => Promise<void>;
  /** Called once per run, after its lane started the next queued jobs. */
  readonly onRunEnd: () => void;
}

/** The lanes of every job name seen so far. */
export interface JobLanes {
  /** Queues a job in its lane and starts it when the lane has a free slot. */
  push(envelope: JobEnvelope): void;
  /** The backlog of each lane, once each. */
  backlogs(): Fifo<JobEnvelope>[];
}

interface Lane {
  active: number;
  readonly limit: number;
  readonly waiting: Fifo<JobEnvelope>;
}

/** Creates the lanes of an embedded worker. */
export function createJobLanes(options: JobLanesOptions): JobLanes {
  const { executor } = options;
  const lanes = new Map<string, Lane>();

  const lane = (jobName: string): Lane => {
    let found = lanes.get(jobName);
    if (found !== undefined) return found;
    const key = jobName.toLowerCase();
    found = lanes.get(key);
    if (found === undefined) {
      const def = executor.definition(jobName);
      const limit = def ? executor.settings(def.name).maxParallelJobs : 1;
      lanes.set(key, (found = { active: 0, limit, waiting: new Fifo() }));
    }
    lanes.set(jobName, found); // the exact spelling too, so the next lookup skips toLowerCase
    return found;
  };

  const pump = (l: Lane) => {
    while (l.active < l.limit && l.waiting.length > 0) {
      const envelope = l.waiting.shift()!;
      l.active++;
      void options.run(envelope).finally(() => {
        l.active--;
        pump(l);
        options.onRunEnd();
      });
    }
  };

  return {
    push(envelope) {
      const l = lane(envelope.jobName);
      l.waiting.push(envelope);
      pump(l);
    },
    backlogs: () => [...new Set(lanes.values())].map((l) => l.waiting),
  };
}
