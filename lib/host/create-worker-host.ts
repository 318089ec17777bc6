// createWorkerHost(): wiring only. Validated config + discovered jobs + setups → one DI root, one or more
// logical workers (one per WorkerId), probes; start and a graceful stop for the CLI or an embedding app.
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { err, ok, type Result } from 'neverthrow';
import type { Registry } from 'prom-client';
import { createServiceContainer } from '../core/engine/create-service-container.js';
import { WorkerDefaults } from '../core/vocabulary/defaults.js';
import type { AnyJobDefinition, JobDefaults, TechnicalLogger } from '../core/vocabulary/types.js';
import type { WorkerSetup } from '../define-setup.js';
import { createAmqpWorker, type AmqpWorker, type AmqpWorkerOptions } from '../worker/create-amqp-worker.js';
import type { CloseReport } from '../worker/worker-parts.js';
import { createHealthFiles, type HealthFiles } from './health/create-health-files.js';
import { createHealthServer, type HealthServer } from './health/create-health-server.js';
import { createMetrics, type Metrics } from './health/create-metrics.js';
import { toHealthReport, type HealthReport } from './health/to-health-report.js';
import type { JobConsumerConfig, WorkerConfig } from './config/worker-config.js';

/** Options of {@link createWorkerHost}. */
export interface WorkerHostOptions {
  readonly config: WorkerConfig;
  readonly jobs: readonly AnyJobDefinition[];
  readonly setups?: readonly WorkerSetup[];
  readonly logger: TechnicalLogger;
}

/** A process's workers. */
export interface WorkerHost {
  readonly workers: readonly AmqpWorker[];
  /** The Prometheus metrics the probes serve; an application may register metrics of its own in `registry`. */
  readonly metrics: {
    /** The prom-client registry behind `/metrics`. */
    readonly registry: Registry;
    /** The Content-Type of `render()`'s text. */
    readonly contentType: string;
    /** The Prometheus text exposition of every family, the default process metrics included. */
    render(): Promise<string>;
  };
  /** Liveness, readiness and the checks behind them, across the logical workers. */
  report(): HealthReport;
  /** The HTTP probe server's port, once started (when `Worker:HealthCheck:HttpPort` is set). */
  readonly httpPort: number | undefined;
  /** Starts the probe server, then every logical worker; rejects with a StartupError when one cannot start. */
  start(): Promise<void>;
  /**
   * Graceful stop within `Worker:ShutdownTimeoutSeconds` + 5 s: no new jobs, running ones get the timeout, then
   * the outbox drains with what is left. Resolves with what was left behind, summed over the logical workers.
   */
  stop(): Promise<CloseReport>;
}

/** A stop ends within Worker:ShutdownTimeoutSeconds plus this. */
export const STOP_MARGIN_MS = 5000;

function sumReports(reports: readonly CloseReport[]): CloseReport {
  return {
    abortedJobs: reports.reduce((n, r) => n + r.abortedJobs, 0),
    unsettledJobs: reports.some((r) => r.unsettledJobs),
    outboxKept: reports.reduce((n, r) => n + r.outboxKept, 0),
  };
}

/** A blocked event loop for longer than this makes the process not live (5 s: far above GC pauses). */
const LOOP_STALL_MS = 5000;

/** How jobs map to logical workers: each job's `JobConsumers:{Job}:WorkerId`, else `Worker:WorkerId`. */
export function groupJobsByWorker(config: WorkerConfig, jobs: readonly AnyJobDefinition[]): Map<string, AnyJobDefinition[]> {
  const groups = new Map<string, AnyJobDefinition[]>();
  for (const job of jobs) {
    const workerId = consumerEntry(config, job.name)?.workerId ?? config.worker.workerId;
    groups.set(workerId, [...(groups.get(workerId) ?? []), job]);
  }
  return groups;
}

/** The JobConsumers entry of a job (matched case-insensitively, as .NET configuration keys are). */
function consumerEntry(config: WorkerConfig, jobName: string): JobConsumerConfig | undefined {
  const key = Object.keys(config.jobConsumers).find((k) => k.toLowerCase() === jobName.toLowerCase());
  return key === undefined ? undefined : config.jobConsumers[key];
}

/**
 * Checks that config and jobs match. A `JobConsumers` entry with no job is an error (a typo or a renamed job
 * would silently do nothing); a job without an entry runs on its defineJob() defaults and is reported.
 */
export function matchJobsToConfig(config: WorkerConfig, jobs: readonly AnyJobDefinition[]): Result<{ unconfigured: string[] }, string[]> {
  const names = new Set(jobs.map((j) => j.name.toLowerCase()));
  const orphans = Object.keys(config.jobConsumers).filter((k) => !names.has(k.toLowerCase()));
  if (orphans.length > 0) {
    return err(orphans.map((k) => `JobConsumers:${k} has no matching job (jobs found: ${jobs.map((j) => j.name).join(', ') || 'none'})`));
  }
  return ok({ unconfigured: jobs.filter((j) => consumerEntry(config, j.name) === undefined).map((j) => j.name) });
}

/**
 * The configuration layer of a job's settings: its JobConsumers entry. A job without one takes
 * `Worker:ExecutionTimeoutSeconds` as its timeout unless its defineJob() sets one, as the .NET SDK's executor falls
 * back to the worker's timeout for a job without a consumer entry. The built-in 3600 s is not passed on: a timeout
 * nobody set must not count as one the user chose (the consumer_timeout warning is for those).
 */
function toJobDefaults(entry: JobConsumerConfig | undefined, job: AnyJobDefinition | undefined, workerTimeoutSeconds: number): JobDefaults | undefined {
  if (entry === undefined) {
    const own = job?.defaults.executionTimeoutSeconds !== undefined || workerTimeoutSeconds === WorkerDefaults.executionTimeoutSeconds;
    return own ? undefined : { executionTimeoutSeconds: workerTimeoutSeconds };
  }
  const d: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(entry)) if (value !== undefined && key !== 'workerId') d[key] = value;
  return d as JobDefaults;
}

/**
 * The info lines a host says at start about accepted keys it does not read: the configuration's notes (keys only
 * the .NET SDK or the scheduler reads), and `Worker:ExternalScheduler`, which is for an external reporter.
 */
export function hostNotes(config: WorkerConfig): string[] {
  const source = config.worker.externalScheduler?.source;
  return [
    ...(config.notes ?? []),
    ...(source === undefined
      ? []
      : [
          `Worker:ExternalScheduler:Source ${JSON.stringify(source)} is for an external reporter (createExternalReporter(toExternalReporterOptions(config)) from milvaion-worker/external, or the BullMQ bridge); the jobs this worker runs register as Milvaion's own`,
        ]),
  ];
}

/** Creates the host; fails with every mismatch between configuration and jobs. */
export function createWorkerHost(options: WorkerHostOptions): Result<WorkerHost, string[]> {
  const { config, logger } = options;
  const matched = matchJobsToConfig(config, options.jobs);
  if (matched.isErr()) return err(matched.error);
  for (const note of hostNotes(config)) logger.info(note);
  if (matched.value.unconfigured.length > 0) logger.info(`No JobConsumers entry for ${matched.value.unconfigured.join(', ')}: using their defineJob() defaults`);
  const setups = options.setups ?? [];
  const container = createServiceContainer((c) => {
    for (const setup of setups) setup.services?.(c);
  });
  const metrics = createMetrics();
  // Metrics outermost among the user's layers: it counts every outcome, retries decided inside included.
  const use = [metrics.middleware(), ...setups.flatMap((s) => s.use ?? [])];
  const workers = createLogicalWorkers(config, options.jobs, { container, logger, use, telemetry: metrics });
  let startedAt: number | undefined;
  // Event-loop delay since the last report: the longest stall decides liveness.
  const loopDelay = monitorEventLoopDelay({ resolution: 50 });
  loopDelay.enable();
  const report = () => {
    const maxDelayMs = loopDelay.max / 1e6;
    loopDelay.reset();
    return toHealthReport(workers.map((worker) => worker.health()), Date.now(), startedAt, {
      loop: { maxDelayMs, thresholdMs: LOOP_STALL_MS },
      maxHeartbeatSilenceMs: config.worker.healthCheck.maxHeartbeatSilenceSeconds * 1000,
    });
  };
  const hc = config.worker.healthCheck;
  const { server, files } = createProbes(hc, report, metrics, workers, logger);
  let httpPort: number | undefined;
  let stopping: Promise<CloseReport> | undefined;
  return ok({
    workers,
    metrics,
    report,
    get httpPort() {
      return httpPort;
    },
    async start() {
      // The probe server answers first (startup: 503 until the workers are up).
      if (server) httpPort = (await server.start()).port;
      await Promise.all(workers.map((worker) => worker.start()));
      startedAt = Date.now();
      files?.start();
    },
    stop() {
      stopping ??= (async () => {
        const graceMs = config.worker.shutdownTimeoutSeconds * 1000;
        // Everything within the grace + 5 s (the CLI's hard limit), less a margin for the probes and services.
        const closing = Promise.all(workers.map((worker) => worker.close({ graceMs, budgetMs: graceMs + STOP_MARGIN_MS - 1000 })));
        await files?.update(); // not ready any more, at once
        const reports = await closing;
        await files?.stop();
        await server?.close();
        loopDelay.disable();
        await container.dispose().catch((error: unknown) => logger.error('Disposing the services failed', error));
        return sumReports(reports);
      })();
      return stopping;
    },
  });
}

/** What every logical worker of the process shares: the DI root, the logger, the user's middleware and the metrics. */
type SharedWorkerOptions = Pick<AmqpWorkerOptions, 'container' | 'logger' | 'use' | 'telemetry'>;

/** One AMQP worker per WorkerId that the jobs map to. */
function createLogicalWorkers(config: WorkerConfig, allJobs: readonly AnyJobDefinition[], shared: SharedWorkerOptions): AmqpWorker[] {
  const w = config.worker;
  const groups = groupJobsByWorker(config, allJobs);
  return [...groups].map(([workerId, jobs]) =>
    createAmqpWorker({
      workerId,
      // The validated config's sections have the worker options' names: they go in as they are.
      rabbitmq: w.rabbitMq,
      jobs,
      jobConfig: (name) => toJobDefaults(consumerEntry(config, name), jobs.find((job) => job.name === name), w.executionTimeoutSeconds),
      maxParallelJobs: w.maxParallelJobs,
      heartbeatIntervalSeconds: w.heartbeat.intervalSeconds,
      jobHeartbeatIntervalSeconds: w.heartbeat.jobHeartbeatIntervalSeconds,
      ...shared,
      maxMessageBytes: w.maxMessageBytes,
      maxCrashRedeliveries: w.maxCrashRedeliveries,
      sharedOccurrenceRecords: w.sharedOccurrenceRecords,
      startupTimeoutSeconds: w.startupConnectionTimeoutSeconds,
      redis: w.redis ?? false,
      // One outbox folder per process and logical worker (the store is locked to one writer).
      outbox: w.offlineResilience.enabled
        ? {
            ...w.offlineResilience,
            localStoragePath: groups.size > 1 ? `${w.offlineResilience.localStoragePath}/${workerId}` : w.offlineResilience.localStoragePath,
          }
        : false,
    }),
  );
}

/** The configured probes: an HTTP server when a port is set, probe files when a path is. */
function createProbes(
  hc: WorkerConfig['worker']['healthCheck'],
  report: () => HealthReport,
  metrics: Metrics,
  workers: readonly AmqpWorker[],
  logger: TechnicalLogger,
): { server: HealthServer | undefined; files: HealthFiles | undefined } {
  const server: HealthServer | undefined =
    hc.enabled && hc.httpPort !== undefined
      ? createHealthServer({
          host: hc.httpHost,
          port: hc.httpPort,
          report,
          metrics: async () => {
            metrics.observeHealth(workers.map((worker) => worker.health()));
            return await metrics.render();
          },
          metricsContentType: metrics.contentType,
          logger,
        })
      : undefined;
  const files: HealthFiles | undefined =
    hc.enabled && (hc.liveFilePath || hc.readyFilePath)
      ? createHealthFiles({ liveFilePath: hc.liveFilePath, readyFilePath: hc.readyFilePath, intervalMs: hc.intervalSeconds * 1000, report, logger })
      : undefined;
  return { server, files };
}
