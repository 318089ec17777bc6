// `milvaion-worker run` after loading: start the host, wait for SIGTERM or SIGINT, stop within
// Worker:ShutdownTimeoutSeconds + 5 s in every state (never connected, connecting, broker down, a backlog,
// jobs ignoring their signal), and say what was left. A second signal, or the limit passing, exits at once.
import { createLogger } from '../../create-logger.js';
import type { TechnicalLogger } from '../../core/vocabulary/types.js';
import { StartupError } from '../../worker/startup-error.js';
import type { CloseReport } from '../../worker/worker-parts.js';
import { redactConfig } from '../config/redact-config.js';
import type { WorkerConfig } from '../config/worker-config.js';
import { createWorkerHost, STOP_MARGIN_MS, type WorkerHostOptions } from '../create-worker-host.js';

/** Exit codes of `run` (the CLI's table has them all). */
const Exit = { ok: 0, failure: 1, config: 78 } as const;

/** Runs a worker host until a signal; resolves with the exit code. */
export async function runWorker(config: WorkerConfig, jobs: WorkerHostOptions['jobs'], setups: WorkerHostOptions['setups']): Promise<number> {
  const logger = createLogger({ level: config.worker.logLevel, tag: 'milvaion-worker', format: config.worker.logFormat });
  logger.debug(`Effective configuration: ${JSON.stringify(redactConfig(config))}`);
  const host = createWorkerHost({ config, jobs, setups: setups ?? [], logger });
  if (host.isErr()) {
    logger.error(host.error.join('\n'));
    return Exit.config;
  }
  const limitMs = config.worker.shutdownTimeoutSeconds * 1000 + STOP_MARGIN_MS;
  const signals = watchSignals(logger, limitMs);
  const started = host.value.start().then(
    () => undefined,
    (error: unknown) => error ?? new Error('start failed'),
  );
  const first = await Promise.race([started.then((error) => ({ error })), signals.first.then((signal) => ({ signal }))]);
  if ('error' in first && first.error !== undefined) {
    logger.error(first.error instanceof StartupError ? `The worker could not start: ${first.error.message}` : 'The worker could not start', ...(first.error instanceof StartupError ? [] : [first.error]));
    await host.value.stop().catch(() => undefined);
    signals.dispose();
    return Exit.failure;
  }
  const signal = 'signal' in first ? first.signal : await signals.first;
  logger.info(`${signal}: stopping (running jobs get ${config.worker.shutdownTimeoutSeconds} s; a second ${signal} exits at once)`);
  signals.stopping();
  try {
    const report = await host.value.stop();
    const left = describeLeft(report, config);
    if (left === undefined) logger.info('Stopped cleanly');
    else logger.warn(`Stopped; left behind: ${left}`);
    return left === undefined ? Exit.ok : Exit.failure;
  } catch (error) {
    logger.error('Stopping failed', error);
    return Exit.failure;
  } finally {
    signals.dispose();
  }
}

/** What a stop left behind, in words, or undefined after a clean stop. */
function describeLeft(report: CloseReport, config: WorkerConfig): string | undefined {
  const parts: string[] = [];
  if (report.outboxKept > 0) parts.push(`${report.outboxKept} outbox entries kept in ${config.worker.offlineResilience.localStoragePath} for the next start`);
  if (report.abortedJobs > 0) parts.push(`${report.abortedJobs} running job(s) aborted at the end of the ${config.worker.shutdownTimeoutSeconds} s grace period; their messages go back to the queue`);
  if (report.unsettledJobs) parts.push('job functions that ignored their abort signal were still running');
  return parts.length === 0 ? undefined : parts.join('; ');
}

/** The first SIGTERM/SIGINT; after `stopping()`, a second one, or `limitMs` passing, exits the process at once. */
function watchSignals(logger: TechnicalLogger, limitMs: number) {
  let received: (signal: string) => void = () => undefined;
  const first = new Promise<string>((resolve) => (received = resolve));
  let stopping = false;
  let limit: NodeJS.Timeout | undefined;
  const onSignal = (signal: string) => {
    if (!stopping) return received(signal);
    logger.error(`${signal} again: exiting now; the outbox keeps what it holds for the next start`);
    process.exit(Exit.failure);
  };
  const onTerm = () => onSignal('SIGTERM');
  const onInt = () => onSignal('SIGINT');
  process.on('SIGTERM', onTerm);
  process.on('SIGINT', onInt);
  return {
    first,
    stopping() {
      stopping = true;
      limit = setTimeout(() => {
        logger.error(`The stop did not finish within ${limitMs / 1000} s (Worker:ShutdownTimeoutSeconds + ${STOP_MARGIN_MS / 1000}); exiting; the outbox keeps what it holds for the next start`);
        process.exit(Exit.failure);
      }, limitMs);
      limit.unref();
    },
    dispose() {
      clearTimeout(limit);
      process.off('SIGTERM', onTerm);
      process.off('SIGINT', onInt);
    },
  };
}
