// createHealthFiles(): file probes for console workers (`test -f /tmp/live` in Kubernetes). At start and on
// every interval the live file holds "ok" while the report is live and the ready file while it is ready;
// a file whose condition fails is deleted, and both are deleted on stop.
import { randomBytes } from 'node:crypto';
import { rename, rm, writeFile } from 'node:fs/promises';
import type { TechnicalLogger } from '../../core/vocabulary/types.js';
import type { HealthReport } from './to-health-report.js';
import { errorMessage } from '../../core/util/error-message.js';

/** Options of {@link createHealthFiles}; the right defaults are /tmp/live and /tmp/ready (the .NET ones are swapped). */
export interface HealthFilesOptions {
  readonly liveFilePath: string;
  readonly readyFilePath: string;
  readonly intervalMs: number;
  /** The health report each interval writes the files from. */
  readonly report: () => HealthReport;
  readonly logger: TechnicalLogger;
}

/** The running file probes. */
export interface HealthFiles {
  /** Updates the files now, then every interval. */
  start(): void;
  /** Updates the files now (e.g. right when a shutdown begins); resolves once they match the report. */
  update(): Promise<void>;
  /** Stops the timer, waits for a running update, then deletes both files. */
  stop(): Promise<void>;
}

/** Creates the file probes (nothing is written until `start()` or `update()`). */
export function createHealthFiles(options: HealthFilesOptions): HealthFiles {
  const { liveFilePath, readyFilePath, logger } = options;
  if (!(options.intervalMs > 0)) throw new TypeError(`createHealthFiles: intervalMs must be a positive number, got ${options.intervalMs}`);
  if (liveFilePath === readyFilePath) throw new TypeError('createHealthFiles: the live and ready files must differ');
  // Whether the last operation on a file failed: an error is logged once per streak, not once per interval.
  const failing = new Map<string, boolean>();
  let timer: NodeJS.Timeout | undefined;
  let stopped = false;
  let reportFailing = false;
  // Updates run one after another, so a slow write can never land after a later delete (or after stop).
  let queue: Promise<void> = Promise.resolve();

  const attempt = async (path: string, action: 'write' | 'delete', work: () => Promise<void>) => {
    try {
      await work();
      if (failing.get(path)) logger.info(`Health file ${path}: ${action} works again`);
      failing.set(path, false);
    } catch (error) {
      if (!failing.get(path)) logger.error(`Health file ${path}: cannot ${action} it (${errorMessage(error)}); probes may see a stale state`);
      failing.set(path, true);
    }
  };

  // Written to a temp file in the same folder and renamed, so a probe never sees a half-written file.
  const put = (path: string) =>
    attempt(path, 'write', async () => {
      const temp = `${path}.${process.pid}-${randomBytes(4).toString('hex')}.tmp`;
      try {
        await writeFile(temp, 'ok');
        await rename(temp, path);
      } catch (error) {
        await rm(temp, { force: true }).catch(() => undefined);
        throw error;
      }
    });
  const remove = (path: string) => attempt(path, 'delete', () => rm(path, { force: true }));

  const probe = (): { live: boolean; ready: boolean } => {
    try {
      const { live, ready } = options.report();
      reportFailing = false;
      return { live, ready };
    } catch (error) {
      // A report that throws counts as neither live nor ready: the files go away.
      if (!reportFailing) logger.error(`Health report failed: ${errorMessage(error)}`);
      reportFailing = true;
      return { live: false, ready: false };
    }
  };

  const enqueue = (step: () => Promise<unknown>): Promise<void> => {
    queue = queue.then(step).then(() => undefined);
    return queue;
  };

  const update = () =>
    enqueue(async () => {
      if (stopped) return;
      const { live, ready } = probe();
      await Promise.all([live ? put(liveFilePath) : remove(liveFilePath), ready ? put(readyFilePath) : remove(readyFilePath)]);
    });

  return {
    start() {
      if (timer !== undefined || stopped) return;
      void update();
      timer = setInterval(() => void update(), options.intervalMs);
      timer.unref();
    },
    update,
    stop() {
      stopped = true;
      clearInterval(timer);
      timer = undefined;
      return enqueue(() => Promise.all([remove(liveFilePath), remove(readyFilePath)]));
    },
  };
}
